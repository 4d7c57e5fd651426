"""Fixtures of the cache tests: the fake kiosk with the cache plugin, in process or on Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from modular_server.plugins import cache as cache_plugin
from modular_server.testing import RunningApp
from tests.cache import kiosk
from tests.cache.kiosk.routes import seed

#: "memory": L1 only; "redis": L1 + the real Redis under this test's own prefix
LEVELS = ["memory", "redis"]
KioskApp = Callable[..., AbstractAsyncContextManager[RunningApp]]


@pytest.fixture
def level(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "memory")


@pytest.fixture
def redis_settings(request: pytest.FixtureRequest, level: str) -> dict[str, Any]:
    """Core settings pointing at Redis for the "redis" level (the test's prefix keeps it apart)."""
    if level != "redis":
        return {}
    return {"redis_url": request.getfixturevalue("redis_url"), "redis_prefix": request.getfixturevalue("redis_prefix")}


@pytest.fixture
def kiosk_app(
    make_app: Callable[..., AbstractAsyncContextManager[RunningApp]], redis_settings: dict[str, Any]
) -> KioskApp:
    """``async with kiosk_app(seeded=True, **cache_settings) as running`` - the kiosk and the
    cache (no other plugin; this package's cache module, loaded directly rather than through
    its entry point) on the test's database; ``seeded=False`` for a second app on the
    same data. Redis calls get a generous timeout here: the machine is shared."""

    @asynccontextmanager
    async def build(
        *, seeded: bool = True, disabled: tuple[str, ...] = (), core: dict[str, Any] | None = None, **cache: Any
    ) -> AsyncIterator[RunningApp]:
        settings = {"redis_timeout_ms": 500, "redis_connect_timeout_ms": 500, **cache}
        overrides = {**redis_settings, **(core or {})}
        async with make_app(
            plugins=[kiosk, cache_plugin], only=[], disabled=disabled, cache=settings, **overrides
        ) as running:
            if seeded:
                await seed(running.app)
            yield running

    return build


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
