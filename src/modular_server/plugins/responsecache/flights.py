"""Single flight in process: concurrent misses of one key wait for the first one's response."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from modular_server.plugins.responsecache.entry import Entry
from modular_server.plugins.responsecache.remote import Versions


@dataclass(slots=True)
class Flight:
    #: what the leader's response was built on; a follower joins only if it would read the same
    versions: Versions | None
    seq: int
    future: asyncio.Future[Entry | None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    started: float = field(default_factory=time.monotonic)


class Flights:
    def __init__(self, patience_seconds: float) -> None:
        self.patience = patience_seconds
        self._flights: dict[str, Flight] = {}

    def current(self, key: str) -> Flight | None:
        flight = self._flights.get(key)
        # a leader that vanished (client gone, task cancelled) never finishes: forget it
        if flight is not None and time.monotonic() - flight.started > self.patience:
            self._flights.pop(key, None)
            return None
        return flight

    def start(self, key: str, versions: Versions | None, seq: int) -> Flight | None:
        if key in self._flights:
            return None
        flight = self._flights[key] = Flight(versions=versions, seq=seq)
        return flight

    async def wait(self, flight: Flight) -> Entry | None:
        try:
            return await asyncio.wait_for(asyncio.shield(flight.future), self.patience)
        except TimeoutError:
            return None

    def finish(self, key: str, flight: Flight, entry: Entry | None) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.future.done():
            flight.future.set_result(entry)

    def __len__(self) -> int:
        return len(self._flights)
