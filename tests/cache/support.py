"""Helpers of the cache tests: the levels, the kiosk's call counter, two apps as two workers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from modular_server.testing import RunningApp
from tests.support.apps import AppFactory

#: "memory": L1 only; "redis": L1 + the real Redis under this test's own prefix
LEVELS = ["memory", "redis"]
#: the ``kiosk_app`` fixture: ``async with kiosk_app(seeded=True, **cache_settings) as running``
KioskApp = AppFactory


def calls(running: RunningApp, route: str) -> int:
    """How often the kiosk ran the handler of ``route``."""
    return running.app.state.host.data["kiosk"]["calls"][route]


@asynccontextmanager
async def two_processes(kiosk_app: KioskApp, **cache: Any) -> AsyncIterator[tuple[RunningApp, RunningApp]]:
    """Two apps on one database (and Redis, at the "redis" level), like two workers. The second
    app's start re-issues the test keys, so the first one's client takes the new key over."""
    async with kiosk_app(**cache) as one, kiosk_app(seeded=False, **cache) as two:
        one.keys = two.keys
        one.client.headers["Authorization"] = two.client.headers["Authorization"]
        yield one, two
