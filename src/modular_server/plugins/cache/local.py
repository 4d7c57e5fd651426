"""L1: the in-process cache - per-entry TTL, bounded by entries and by bytes, with a tag index.

Both bounds with one ``cachetools`` cache: every entry costs at least
``max_bytes / max_entries`` units of a ``max_bytes`` budget, so there are never more than
``max_entries`` entries and never more than ``max_bytes`` bytes (least recently used first out).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from cachetools import TLRUCache

from modular_server.plugins.cache.entry import Entry
from modular_server.plugins.cache.tags import ALL


class _Bounded(TLRUCache):  # type: ignore[type-arg]
    """TLRUCache that tells its owner about every entry it drops by itself."""

    def __init__(self, owner: LocalCache, max_entries: int, max_bytes: int) -> None:
        least = max(1, max_bytes // max_entries)
        super().__init__(
            maxsize=max_bytes,
            ttu=lambda _key, entry, now: now + entry.local_ttl,
            timer=time.monotonic,
            getsizeof=lambda stored: max(stored.entry.size, least),
        )
        self._owner = owner

    def popitem(self) -> tuple[Any, Any]:
        key, stored = super().popitem()
        self._owner.evictions += 1
        self._owner.forget(key, stored.tags)
        return key, stored

    def expire(self, time: float | None = None) -> Any:
        expired = super().expire(time)
        for key, stored in expired:
            self._owner.expirations += 1
            self._owner.forget(key, stored.tags)
        return expired


class _Stored:
    __slots__ = ("entry", "local_ttl", "tags")

    def __init__(self, entry: Entry, tags: tuple[str, ...], local_ttl: float) -> None:
        self.entry = entry
        self.tags = tags
        self.local_ttl = local_ttl


class LocalCache:
    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self._store = _Bounded(self, max_entries, max_bytes)
        self._index: dict[str, set[str]] = {}
        self.evictions = 0
        self.expirations = 0

    def get(self, key: str) -> Entry | None:
        stored = self._store.get(key)
        return None if stored is None else stored.entry

    def put(self, key: str, entry: Entry, tags: tuple[str, ...], ttl: float) -> None:
        if ttl <= 0 or entry.size > self._store.maxsize:
            return
        self._store[key] = _Stored(entry, tags, ttl)
        index = self._index
        for tag in tags:
            if tag == ALL:
                continue  # "everything" is clear(), not a set of every key
            keys = index.get(tag)
            if keys is None:
                index[tag] = {key}
            else:
                keys.add(key)

    def evict_tags(self, tags: Iterable[str]) -> int:
        """Drop every entry filed under one of ``tags``; how many went."""
        evicted = 0
        for tag in tags:
            for key in self._index.pop(tag, ()):
                stored = self._store.pop(key, None)
                if stored is not None:
                    evicted += 1
                    self.forget(key, stored.tags)
        return evicted

    def forget(self, key: str, tags: tuple[str, ...]) -> None:
        index = self._index
        for tag in tags:
            keys = index.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del index[tag]

    def clear(self) -> int:
        count = len(self._store)
        self._store.clear()
        self._index.clear()
        return count

    def figures(self) -> dict[str, int]:
        self._store.expire()
        entries = [stored.entry for stored in self._store.values()]
        return {
            "entries": len(entries),
            "bytes": sum(len(e.body) for e in entries),
            "evictions": self.evictions,
            "expirations": self.expirations,
            "tags_indexed": len(self._index),
        }
