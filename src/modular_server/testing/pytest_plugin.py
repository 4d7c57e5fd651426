"""pytest fixtures for modular_server and its plugin authors (registered via ``pytest11``).

* ``backend`` - ``"sqlite"``; parametrize indirectly with ``["sqlite", "postgresql"]`` to run
  a test on both (``@pytest.mark.parametrize("backend", BOTH, indirect=True)``).
* ``database_url`` - a fresh database of that backend for this test.
* ``make_app`` - ``async with make_app(plugins=[my_plugin], only=["artikel"], disabled=["cache"], **settings)
  as running``;
  ``running.client`` is an admin client, ``running.as_scope("read")`` a weaker one.
* ``running`` - an app with every installed plugin on the test's database.

PostgreSQL/Redis that cannot be reached skip the test - except with ``CI=true``, where they fail.

The plugin configures itself, so a plugin team's tests need no pytest configuration: async
tests and fixtures run without marks (pytest-asyncio's ``asyncio_mode`` defaults to ``auto``,
``asyncio_default_fixture_loop_scope`` to ``function``) and the ``postgres``, ``redis`` and
``slow`` markers are registered. A project's own ini/pyproject values still win.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from modular_server.settings import Settings
from modular_server.testing.harness import (
    REDIS_TEST_URL,
    RunningApp,
    in_ci,
    postgres_available,
    running_app,
    sources_with,
    temporary_postgres_database,
)

BOTH = ["sqlite", "postgresql"]

#: pytest-asyncio ini defaults for a project that sets none (its own configuration still wins)
ASYNCIO_DEFAULTS = {
    "asyncio_mode": ("auto", "default value for --asyncio-mode (auto: set by the modular_server plugin)"),
    "asyncio_default_fixture_loop_scope": (
        "function",
        "default scope of the asyncio event loop used to execute async fixtures "
        "(function: set by the modular_server plugin)",
    ),
}

MARKERS = (
    "postgres: runs against the real PostgreSQL server",
    "redis: needs the real Redis server",
    "slow: takes more than a few seconds",
)


def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Give pytest-asyncio's ini options our defaults.

    Called for installed (``pytest11``) plugins once all of them are loaded, before any ini
    value is read: registering an ini name again replaces only its *default*, so a value in
    the project's configuration file, ``-o`` or ``--asyncio-mode`` still decides.
    """
    if not early_config.pluginmanager.hasplugin("asyncio"):
        return
    for name, (default, help_text) in ASYNCIO_DEFAULTS.items():
        parser.addini(name, help_text, default=default)


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)


def _unavailable(what: str) -> None:
    message = f"{what} is not reachable"
    if in_ci():
        pytest.fail(message + " (CI=true: services are required)")
    pytest.skip(message)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    if not await postgres_available():
        _unavailable("PostgreSQL")
    async with temporary_postgres_database() as url:
        yield url


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix of this test's own, so tests sharing the Redis server never collide."""
    return f"mstest:{uuid.uuid4().hex[:10]}:"


@pytest.fixture
async def redis_url(redis_prefix: str) -> AsyncIterator[str]:
    """A real Redis (database 15); keys under ``redis_prefix`` are deleted afterwards."""
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_timeout=2)
    try:
        await client.ping()
    except (OSError, redis.RedisError):
        await client.aclose()
        _unavailable("Redis")
    yield REDIS_TEST_URL
    async for key in client.scan_iter(match=f"{redis_prefix}*", count=500):
        await client.delete(key)
    await client.aclose()


@pytest.fixture
def settings_factory(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "auto_migrate": True,
            "data_dir": tmp_path / "data",
            "api_key_cache_seconds": 30.0,
        }
        values.update(overrides)
        return Settings(**values)

    return build


@pytest.fixture
def make_app(settings_factory: Callable[..., Settings]) -> Callable[..., AbstractAsyncContextManager[RunningApp]]:
    def factory(
        plugins: Any = (),
        *,
        only: Any = None,
        discover: bool = True,
        disabled: Any = (),
        **overrides: Any,
    ) -> AbstractAsyncContextManager[RunningApp]:
        # ``plugins`` adds plugin objects; ``disabled`` is the `plugins.disabled` setting
        if disabled:
            overrides["plugins"] = {"disabled": list(disabled)}
        return running_app(settings_factory(**overrides), sources_with(plugins, discover=discover, only=only))

    return factory


@pytest.fixture
async def running(make_app: Callable[..., AbstractAsyncContextManager[RunningApp]]) -> AsyncIterator[RunningApp]:
    async with make_app() as app:
        yield app
