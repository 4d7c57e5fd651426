"""Single flight: concurrent requests for one key share one computation.

When many requests miss the same in-process cache at once - a worker's first burst after
start, or every request of one client when its entry expires - each of them would run the same
lookup, each on a pool connection of its own. The first caller starts the computation as a
task; callers arriving while it runs await that task instead of starting another.

The task is shielded: a caller that is cancelled (its client went away) stops waiting, but
the computation goes on for the others. An exception reaches every caller of that flight and
is not remembered: the next call starts afresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """At most one computation per key in flight; callers of that key share its result."""

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Task[V]] = {}

    def __len__(self) -> int:
        return len(self._running)

    async def run(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        """The result of ``compute()``, or of the computation for ``key`` already in flight."""
        task = self._running.get(key)
        if task is None:
            task = asyncio.ensure_future(compute())
            self._running[key] = task
            task.add_done_callback(lambda done: self._landed(key, done))
        return await asyncio.shield(task)

    def forget(self) -> None:
        """Let the next call of every key compute afresh (e.g. after the source changed): the
        flights in progress finish for their callers, later callers do not join them."""
        self._running.clear()

    def _landed(self, key: K, task: asyncio.Task[V]) -> None:
        # (an error nobody waits for any more is not reported to the loop: shield marks it seen)
        if self._running.get(key) is task:
            del self._running[key]
