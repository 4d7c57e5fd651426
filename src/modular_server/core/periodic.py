"""One periodic background loop: wait, run the work, log a failure, wait again, until stopped.

Every plugin job that repeats (expiring reservations, the daily notifications check, scheduled
anomaly training) is a :class:`Periodic`, so waiting, failure handling and shutdown are
written once. The wait is injectable (``sleep``) so a test runs rounds without waiting for time
to pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("modular_server.periodic")

#: seconds until the next round: a constant, or a function asked before each wait
Interval = float | Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]


class Periodic:
    """Runs ``work()`` every ``interval`` seconds in the background (first round after one wait).

    ``interval`` may be a function (e.g. "seconds until 06:00 UTC"), asked before each wait.
    A round that raises is logged with ``plugin`` and ``name`` and passed to ``on_failure``; the
    loop goes on. :meth:`start` runs the loop in its own context (its statements are never
    attributed to the request that was current), :meth:`stop` cancels it and waits for it.
    """

    def __init__(
        self,
        interval: Interval,
        work: Callable[[], Awaitable[Any]],
        *,
        name: str,
        plugin: str,
        on_failure: Callable[[Exception], None] | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self.work = work
        self.name = name
        self.plugin = plugin
        self.on_failure = on_failure
        self.sleep = sleep
        #: rounds run so far and how many of them failed
        self.rounds = 0
        self.failures = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.running:
            return
        self._task = asyncio.get_running_loop().create_task(
            self._loop(), name=f"{self.plugin}:{self.name}", context=contextvars.Context()
        )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run_once(self) -> bool:
        """One round: True when ``work()`` succeeded, False when it raised (and was logged)."""
        self.rounds += 1
        try:
            await self.work()
        except Exception as exc:  # the next round tries again; a failure never ends the loop
            self.failures += 1
            log.exception("%s: background job %s failed", self.plugin, self.name)
            if self.on_failure is not None:
                self.on_failure(exc)
            return False
        return True

    def _next_wait(self) -> float:
        return self.interval() if callable(self.interval) else self.interval

    async def _loop(self) -> None:
        while True:
            await self.sleep(self._next_wait())
            await self.run_once()


def every(
    interval: Interval,
    work: Callable[[], Awaitable[Any]],
    *,
    name: str,
    plugin: str,
    on_failure: Callable[[Exception], None] | None = None,
    sleep: Sleep = asyncio.sleep,
) -> Periodic:
    """A started :class:`Periodic` (call from a plugin's startup; ``await p.stop()`` at shutdown)."""
    periodic = Periodic(interval, work, name=name, plugin=plugin, on_failure=on_failure, sleep=sleep)
    periodic.start()
    return periodic
