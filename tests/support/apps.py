"""Building and serving apps in tests."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import uvicorn

from modular_server.testing import RunningApp, eventually

#: ``make_app`` and the area factories built on it: ``async with factory(...) as running``
AppFactory = Callable[..., AbstractAsyncContextManager[RunningApp]]


async def until_started(server: uvicorn.Server) -> None:
    """Wait until ``server`` (serving in a task) accepts connections; uvicorn sets a flag, no event."""

    async def started() -> bool:
        return server.started

    await eventually(started, "the server to start")
