"""A clock a test moves forward, for code that reads the ``time`` module (TTLs, time buckets).

The cache and monitoring plugins read ``time.time()``/``time.monotonic()`` directly; a test
replaces the ``time`` name in those modules with a :class:`ShiftedClock` and calls
:meth:`ShiftedClock.advance` instead of sleeping across a TTL or a bucket. The clock keeps
running in real time too, so deadlines and leases in the same modules still move.
"""

from __future__ import annotations

import time as real_time
from types import ModuleType
from typing import Any

import pytest


class ShiftedClock:
    """Real time plus an offset the test advances; any other ``time`` name is the real one."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return real_time.time() + self.offset

    def monotonic(self) -> float:
        return real_time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def __getattr__(self, name: str) -> Any:
        return getattr(real_time, name)

    def install(self, monkeypatch: pytest.MonkeyPatch, *modules: ModuleType) -> ShiftedClock:
        """Make ``modules`` read this clock (until the test ends); install before the app starts."""
        for module in modules:
            assert module.time is real_time, f"{module.__name__} does not read the time module as `time`"
            monkeypatch.setattr(module, "time", self)
        return self
