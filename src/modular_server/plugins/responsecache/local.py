"""L1: the in-process cache, bounded by entries and bytes, with per-entry TTL and tag eviction."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from cachetools import TLRUCache

from modular_server.plugins.responsecache.entry import Entry

#: invalidations remembered for :meth:`LocalCache.invalidated_since`; older ones make it say "yes"
_RECENT_INVALIDATIONS = 1024


class _Bounded(TLRUCache[str, Entry]):
    """TLRU bounded by bytes (``maxsize``) and, in addition, by a number of entries."""

    def __init__(self, max_entries: int, max_bytes: int, on_evict: Any) -> None:
        super().__init__(maxsize=max_bytes, ttu=_expires_at, getsizeof=lambda entry: entry[1].size)
        self.max_entries = max_entries
        self._on_evict = on_evict

    def __setitem__(self, key: str, value: Any) -> None:
        while key not in self and len(self) >= self.max_entries:
            self.popitem()
        super().__setitem__(key, value)

    def popitem(self) -> Any:
        item = super().popitem()
        self._on_evict()
        return item


def _expires_at(_key: str, value: tuple[float, Entry], _now: float) -> float:
    return value[0]


class LocalCache:
    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.evictions = 0
        self._entries = _Bounded(max_entries, max_bytes, self._count_eviction)
        # tag -> keys; may name keys that have expired, so it is rebuilt every max_entries inserts
        self._index: dict[str, set[str]] = {}
        self._inserts = 0
        # a monotonically growing number per invalidation, and the recent ones with their tags
        self.seq = 0
        self._recent: deque[tuple[int, frozenset[str]]] = deque(maxlen=_RECENT_INVALIDATIONS)

    def _count_eviction(self) -> None:
        self.evictions += 1

    def get(self, key: str) -> Entry | None:
        found = self._entries.get(key)
        return found[1] if found is not None else None

    def put(self, key: str, entry: Entry) -> bool:
        if entry.size > self.max_bytes:
            return False
        self._entries[key] = (time.monotonic() + entry.ttl, entry)
        for tag in entry.tags:
            self._index.setdefault(tag, set()).add(key)
        self._inserts += 1
        if self._inserts >= self._entries.max_entries:
            self._rebuild_index()
        return True

    def discard(self, key: str) -> None:
        self._entries.pop(key, None)

    def invalidate(self, tags: Iterable[str]) -> int:
        """Evict every entry carrying one of ``tags``; returns how many."""
        tags = frozenset(tags)
        self.seq += 1
        self._recent.append((self.seq, tags))
        evicted = 0
        for tag in tags:
            for key in self._index.pop(tag, ()):
                if self._entries.pop(key, None) is not None:
                    evicted += 1
        self.evictions += evicted
        return evicted

    def invalidated_since(self, seq: int, tags: Iterable[str]) -> bool:
        """Whether an invalidation after ``seq`` touched ``tags`` (yes when it is too long ago to tell)."""
        if seq == self.seq:
            return False
        if not self._recent or self._recent[0][0] > seq + 1:
            return True
        wanted = set(tags)
        return any(number > seq and not wanted.isdisjoint(touched) for number, touched in self._recent)

    def clear(self) -> None:
        self.evictions += len(self._entries)
        self._entries.clear()
        self._index.clear()

    @property
    def entries(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return int(self._entries.currsize)

    def _rebuild_index(self) -> None:
        self._inserts = 0
        index: dict[str, set[str]] = {}
        for key in list(self._entries):
            found = self._entries.get(key)
            if found is not None:
                for tag in found[1].tags:
                    index.setdefault(tag, set()).add(key)
        self._index = index
