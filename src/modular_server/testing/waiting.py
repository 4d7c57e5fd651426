"""Waiting in tests for what background work does (a store in Redis, a delivery, a resubscription)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

POLL_SECONDS = 0.02


async def eventually(check: Callable[[], Awaitable[T]], what: str = "the check", seconds: float = 10.0) -> T:
    """Poll ``check`` until it answers something truthy and return that answer.

    ``seconds`` only bounds a test that would otherwise hang; it is not a claim about speed.
    """
    try:
        async with asyncio.timeout(seconds):
            while not (answer := await check()):  # noqa: ASYNC110 - the state lives outside this loop
                await asyncio.sleep(POLL_SECONDS)
    except TimeoutError:
        raise AssertionError(f"not within {seconds}s: {what}") from None
    return answer


__all__ = ["eventually"]
