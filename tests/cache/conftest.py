"""Fixtures of the cache tests: the fake kiosk with the cache plugin, in process or on Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from modular_server.plugins import cache as cache_plugin
from modular_server.testing import RunningApp
from tests.cache import kiosk
from tests.cache.kiosk.routes import seed
from tests.cache.support import KioskApp
from tests.support.apps import AppFactory


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
def kiosk_app(make_app: AppFactory, redis_settings: dict[str, Any]) -> KioskApp:
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
