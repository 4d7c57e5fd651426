"""Redis is an accelerator: when it fails, its users fall back to in-process behaviour.

A :class:`RedisBreaker` remembers the failure so that the next ``retry_seconds`` of requests
go straight to the fallback instead of each paying a Redis timeout, logs the change of state
once (not once per request), and lets the first call after the pause try Redis again.
"""

from __future__ import annotations

import logging
import time
from typing import Any


class RedisBreaker:
    def __init__(self, user: str, retry_seconds: float, log: logging.Logger, fallback: str) -> None:
        self.user = user
        self.retry_seconds = retry_seconds
        self.fallback = fallback
        self._log = log
        self.up = True
        self.failures = 0
        self.last_error = ""
        self._retry_at = 0.0

    def reachable(self) -> bool:
        """Try Redis: it answered last time, or the pause after its failure is over."""
        return self.up or time.monotonic() >= self._retry_at

    def failed(self, what: str, exc: BaseException) -> None:
        self.failures += 1
        # the type and text of a connection error; never a command's arguments
        self.last_error = f"{what}: {type(exc).__name__}: {exc}"
        self._retry_at = time.monotonic() + self.retry_seconds
        if self.up:
            self.up = False
            self._log.warning("%s: Redis unavailable (%s); %s", self.user, self.last_error, self.fallback)

    def succeeded(self) -> None:
        if not self.up:
            self.up = True
            self._log.info("%s: Redis is back", self.user)

    def as_dict(self) -> dict[str, Any]:
        return {"available": self.up, "failures": self.failures, "last_error": self.last_error}
