"""Computations in flight: single flight per key, and what a commit makes stale meanwhile.

Every miss that runs its handler is a :class:`Flight`, filed under its tags from the moment
of the lookup. An invalidation of one of those tags marks it stale: its result, computed from
data that may predate the write, is then neither stored nor shared. The first miss of a key
leads; later misses of the same key wait for its result instead of running the handler.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from modular_server.plugins.cache.entry import Entry
from modular_server.plugins.cache.tags import ALL


class Flight:
    __slots__ = ("deadline", "future", "generations", "key", "lock_token", "stale", "tags")

    def __init__(self, key: str, tags: tuple[str, ...], deadline: float) -> None:
        self.key = key
        self.tags = tags
        self.deadline = deadline
        self.stale = False
        self.future: asyncio.Future[Entry | None] | None = None
        #: the Redis generations of ``tags`` read at lookup (None: no L2 store for this one)
        self.generations: list[str] | None = None
        self.lock_token: str | None = None

    async def result(self, patience: float) -> Entry | None:
        """What the leader computed, or None (not cacheable, stale, or too slow)."""
        if self.future is None:
            self.future = asyncio.get_running_loop().create_future()
        try:
            return await asyncio.wait_for(asyncio.shield(self.future), patience)
        except TimeoutError:
            return None


class Flights:
    def __init__(self, lease_seconds: float) -> None:
        self.lease_seconds = lease_seconds
        self._leaders: dict[str, Flight] = {}
        self._by_tag: dict[str, set[Flight]] = {}

    def __len__(self) -> int:
        return len(self._leaders)

    def leader(self, key: str) -> Flight | None:
        flight = self._leaders.get(key)
        if flight is not None and flight.deadline < time.monotonic():
            # its request vanished without an answer (client gone): nobody waits for it any more
            self.end(flight, None)
            return None
        return flight

    def begin(self, key: str, tags: tuple[str, ...], *, lead: bool) -> Flight:
        flight = Flight(key, tags, time.monotonic() + self.lease_seconds)
        if lead:
            self._leaders[key] = flight
        for tag in tags:
            self._by_tag.setdefault(tag, set()).add(flight)
        return flight

    def mark_stale(self, tags: Iterable[str]) -> None:
        by_tag = self._by_tag
        for tag in tags:
            for flight in by_tag.get(tag, ()):
                flight.stale = True
            if tag == ALL:
                for flights in by_tag.values():
                    for flight in flights:
                        flight.stale = True

    def end(self, flight: Flight, entry: Entry | None) -> None:
        if self._leaders.get(flight.key) is flight:
            del self._leaders[flight.key]
        for tag in flight.tags:
            flights = self._by_tag.get(tag)
            if flights is not None:
                flights.discard(flight)
                if not flights:
                    del self._by_tag[tag]
        if flight.future is not None and not flight.future.done():
            flight.future.set_result(None if flight.stale else entry)
