"""Running a plugin's ``startup``/``shutdown`` under a deadline without blocking the event loop.

An ``async`` hook is awaited with :func:`asyncio.wait_for`. A synchronous one runs in a daemon
thread of its own: the loop keeps serving while it runs, and one that never returns is
abandoned at the deadline. Not the loop's default executor - its threads are joined when the
interpreter exits, so an abandoned call would keep a stopped server alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import Callable
from typing import Any


class DeadlineExceeded(TimeoutError):
    """The hook did not finish in time (not: the hook itself raised a TimeoutError)."""


async def call_with_deadline(function: Callable[..., Any], args: list[Any], seconds: float, name: str) -> None:
    """Call ``function(*args)``; raise :class:`DeadlineExceeded` when it has not finished within
    ``seconds``. Whatever the hook raises itself propagates unchanged."""
    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            await _call(function, args, name)
    except TimeoutError as exc:
        if deadline.expired():
            raise DeadlineExceeded(f"did not finish within {seconds}s") from exc
        raise


async def _call(function: Callable[..., Any], args: list[Any], name: str) -> None:
    if inspect.iscoroutinefunction(function):
        await function(*args)
        return
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.create_future()

    def settle(outcome: Any, error: BaseException | None) -> None:
        if done.done():
            return  # abandoned at the deadline
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(outcome)

    def run() -> None:
        outcome: Any = None
        error: BaseException | None = None
        try:
            outcome = function(*args)
        except BaseException as exc:  # handed to the awaiting task, which reports it
            error = exc
        # a closed loop (RuntimeError): nobody waits for this call any more
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, outcome, error)

    threading.Thread(target=run, name=name, daemon=True).start()
    result = await done
    # a sync hook may still answer with an awaitable: it runs on the loop, within the deadline
    if inspect.isawaitable(result):
        await result
