"""At most one log line per key and interval: a server that turns slow turns every statement
into a slow query, and a warning per statement then costs CPU exactly when it has none to
spare. What is left out is counted and said in the key's next line; the records themselves
(dashboard, metrics) keep every occurrence."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

#: keys remembered at most; beyond, the oldest half is forgotten (they may log once more)
MAX_KEYS = 10_000


class LogThrottle:
    def __init__(self, interval_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval_seconds
        self.clock = clock
        self._last: dict[Hashable, float] = {}  # key -> when its last line was logged
        self._left_out: dict[Hashable, int] = {}

    def admit(self, key: Hashable) -> int | None:
        """None: do not log now (counted); else log, saying how many were left out since the last line."""
        if self.interval <= 0:
            return 0
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._left_out[key] = self._left_out.get(key, 0) + 1
            return None
        if len(self._last) >= MAX_KEYS:
            for old in list(self._last)[: MAX_KEYS // 2]:
                del self._last[old]
                self._left_out.pop(old, None)
        self._last[key] = now
        return self._left_out.pop(key, 0)
