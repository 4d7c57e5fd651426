"""One periodic background loop: wait, run the work, log a failure, wait again, until stopped.

Every plugin job that repeats (expiring reservations, the daily notifications check, scheduled
anomaly training, monitoring's flush and cleanup, the cache's Redis probe) is a
:class:`Periodic`, so waiting, failure handling and shutdown are written once. The wait is
injectable (``sleep``) so a test runs rounds without waiting for time to pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modular_server.core.host import PluginHostView

log = logging.getLogger("modular_server.periodic")

#: seconds until the next round: a constant, or a function asked before each wait
Interval = float | Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]
#: the wait after an interval function that raised or answered no number of seconds, while
#: it never answered one (otherwise its last answer is used): long enough not to spin
RETRY_SECONDS = 60.0


class Periodic:
    """Runs ``work()`` every ``interval`` seconds in the background (first round after one wait).

    ``interval`` may be a function (e.g. "seconds until 06:00 UTC"), asked before each wait; if
    it raises (or answers NaN), that is logged and the loop waits as long as the function's
    last answer said, or ``retry_seconds`` before it ever answered. A round that raises is
    logged with ``plugin`` and ``name`` and passed to ``on_failure`` (as is a raising interval);
    the loop goes on. :meth:`start` runs the loop in its own context (its statements are never
    attributed to the request that was current); given the plugin ``host``, the loop is one of
    the host's background tasks, so shutdown cancels it even when the plugin forgets to.
    :meth:`stop` cancels it and waits for it.
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
        host: PluginHostView | None = None,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.interval = interval
        self.work = work
        self.name = name
        self.plugin = plugin
        self.on_failure = on_failure
        self.sleep = sleep
        self.host = host
        self.retry_seconds = retry_seconds
        #: rounds run so far and how many of them failed; waits the interval function failed
        self.rounds = 0
        self.failures = 0
        self.interval_failures = 0
        self._last_wait: float | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.running:
            return
        name, context = f"{self.plugin}:{self.name}", contextvars.Context()
        if self.host is not None:
            self._task = self.host.background(self._loop(), name=name, context=context, until_stopped=True)
        else:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name=name, context=context)

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
            self._report(exc)
            return False
        return True

    def next_wait(self) -> float:
        """Seconds until the next round (never negative; never raises)."""
        if not callable(self.interval):
            return max(0.0, self.interval)
        fallback = self._last_wait if self._last_wait is not None else self.retry_seconds
        try:
            seconds = float(self.interval())
            if math.isnan(seconds):
                raise ValueError("the interval function answered NaN")
        except Exception as exc:  # a broken schedule must not end the loop: wait, ask again
            self.interval_failures += 1
            log.exception(
                "%s: background job %s could not tell when to run next; trying again in %ss",
                self.plugin,
                self.name,
                fallback,
            )
            self._report(exc)
            return fallback
        self._last_wait = max(0.0, seconds)
        return self._last_wait

    def _report(self, exc: Exception) -> None:
        if self.on_failure is None:
            return
        try:
            self.on_failure(exc)
        except Exception:  # the plugin's own callback: its failure is logged, the loop goes on
            log.exception("%s: on_failure of background job %s failed", self.plugin, self.name)

    async def _loop(self) -> None:
        while True:
            await self.sleep(self.next_wait())
            await self.run_once()


def every(
    interval: Interval,
    work: Callable[[], Awaitable[Any]],
    *,
    name: str,
    plugin: str,
    on_failure: Callable[[Exception], None] | None = None,
    sleep: Sleep = asyncio.sleep,
    host: PluginHostView | None = None,
    retry_seconds: float = RETRY_SECONDS,
) -> Periodic:
    """A started :class:`Periodic` (call from a plugin's startup; ``await p.stop()`` at shutdown)."""
    periodic = Periodic(
        interval,
        work,
        name=name,
        plugin=plugin,
        on_failure=on_failure,
        sleep=sleep,
        host=host,
        retry_seconds=retry_seconds,
    )
    periodic.start()
    return periodic
