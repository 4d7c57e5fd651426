"""Fixtures of the response-cache tests: the cache plugin (loaded explicitly) with the probe or
the real inventory plugins, L1 only ("memory") or L1 + the real Redis ("redis")."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from modular_server.plugins import responsecache
from modular_server.testing import RunningApp
from tests.responsecache.probe import Probe

LEVELS = ["memory", "redis"]
CacheApp = Callable[..., AbstractAsyncContextManager[RunningApp]]
# the machine is shared by several test runs: give Redis calls room (the default is 50 ms)
REDIS_TIMEOUT = 0.5


@pytest.fixture
def level(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "memory")


@pytest.fixture
def redis_settings(request: pytest.FixtureRequest, level: str) -> dict[str, Any]:
    if level != "redis":
        return {}
    return {
        "redis_url": request.getfixturevalue("redis_url"),
        "redis_prefix": request.getfixturevalue("redis_prefix"),
        "redis_timeout_seconds": REDIS_TIMEOUT,
    }


@pytest.fixture
def cache_app(make_app: CacheApp, redis_settings: dict[str, Any]) -> CacheApp:
    """``async with cache_app(inventory=True, cache={...}, **core) as running``: the cache plugin
    with the probe, plus artikel and chargen when ``inventory``."""

    @asynccontextmanager
    async def build(
        *, inventory: bool = False, cache: dict[str, Any] | None = None, with_cache: bool = True, **core: Any
    ) -> AsyncIterator[RunningApp]:
        plugins: list[Any] = [Probe()]
        if with_cache:
            plugins.append(responsecache)
        only = ["artikel", "chargen"] if inventory else []
        settings = {**redis_settings, **core}
        async with make_app(plugins=plugins, only=only, cache=cache or {}, **settings) as running:
            yield running

    return build


@asynccontextmanager
async def two_instances(
    cache_app: CacheApp, **options: object
) -> AsyncIterator[tuple[RunningApp, RunningApp, list[httpx.AsyncClient]]]:
    async with cache_app(**options) as first, cache_app(**options) as second:
        # the second app re-issued the test keys on the shared database: use its admin key on both
        token = second.keys["admin"]
        clients = [
            httpx.AsyncClient(
                transport=running.client._transport,
                base_url="http://test",
                headers={"Authorization": f"Bearer {token}"},
            )
            for running in (first, second)
        ]
        try:
            yield first, second, clients
        finally:
            for client in clients:
                await client.aclose()
