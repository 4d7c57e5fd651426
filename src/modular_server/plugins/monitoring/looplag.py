"""How late the event loop runs a timer: the part of a statement's time that was the process's.

A statement's duration is taken from before it is sent until the event loop resumes the code
that waits for its rows. When the loop is stalled meanwhile - a garbage collection, a burst of
other callbacks under load, a plugin's blocking call - the answer waits for the loop, and the
statement looks slow although the database answered at once: the dashboard would blame SQL
for a busy process. A timer that should fire every ``interval`` seconds measures that: the
time it fires late is time the loop could not run anything else either.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

#: bounds of how often the timer is due: half the slow threshold, so that a stall long enough
#: to make a statement look slow always spans a due time (a shorter one may go unseen, which
#: only matters for statements close to the threshold) - but at most 10 wake-ups a second:
#: each costs the process a timer and a turn of the loop
MIN_INTERVAL_SECONDS = 0.02
MAX_INTERVAL_SECONDS = 0.1
#: timer samples kept (a few seconds): statements slower than that are rare and judged by the
#: samples inside them
KEPT_SAMPLES = 256


def interval_for(slow_seconds: float) -> float:
    """How often the timer is due for a slow threshold of ``slow_seconds``."""
    return min(MAX_INTERVAL_SECONDS, max(MIN_INTERVAL_SECONDS, slow_seconds / 2))


class LoopLag:
    """Samples the loop's lateness; :meth:`during` tells how late it was within a time span.

    :meth:`sleep` is the wait of a :class:`~modular_server.plugin.Periodic` whose work does
    nothing: the loop is the monitor's, started and stopped with it.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        #: (when the timer fired, how late it fired), oldest first
        self.samples: deque[tuple[float, float]] = deque(maxlen=KEPT_SAMPLES)
        #: when the pending timer is due (None while none is pending)
        self.due: float | None = None

    async def sleep(self, seconds: float) -> None:
        due = self.clock() + seconds
        self.due = due
        try:
            await asyncio.sleep(seconds)
        finally:
            self.due = None
        fired = self.clock()
        self.samples.append((fired, fired - due))

    def during(self, start: float, end: float) -> float:
        """The longest the loop was late within ``[start, end]`` (clock seconds), at most the
        span itself: the largest lateness of a timer that fired inside it, or of the pending
        timer that is overdue at ``end`` (counted from ``start`` at the earliest)."""
        worst = 0.0
        for fired, late in reversed(self.samples):
            if fired < start:
                break
            if fired <= end and late > worst:
                worst = late
        due = self.due
        if due is not None and due < end:
            worst = max(worst, end - max(due, start))
        return min(worst, max(0.0, end - start))
