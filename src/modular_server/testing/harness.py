"""Running an app in tests: real databases, a started lifespan, an authenticated client."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.engine import make_url

from modular_server.core.app import create_app
from modular_server.core.sources import PluginSource, discover_entry_points
from modular_server.settings import Settings

POSTGRES_ADMIN_URL = os.environ.get(
    "MODULAR_SERVER_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS_TEST_URL = os.environ.get("MODULAR_SERVER_TEST_REDIS", "redis://127.0.0.1:6379/15")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


async def postgres_available() -> bool:
    import asyncpg

    url = make_url(POSTGRES_ADMIN_URL)
    try:
        conn = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database=url.database, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


@asynccontextmanager
async def temporary_postgres_database() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    import asyncpg

    url = make_url(POSTGRES_ADMIN_URL)
    name = f"ms_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database=url.database)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@dataclass
class StatementCounter:
    """Counts SQL statements sent to the database while active."""

    count: int = 0
    statements: list[str] = field(default_factory=list)


#: the counter of the ``count_statements`` block the current task (or what it started) runs in
_counting: ContextVar[StatementCounter | None] = ContextVar("counting_statements", default=None)


@contextmanager
def count_statements(app: FastAPI) -> Iterator[StatementCounter]:
    """Count the statements of what runs inside the block: requests and the tasks they start.
    Workers started before the block (webhook deliveries, scoring) run in contexts of their
    own and are not counted - their polling would make counts depend on timing."""
    counter = StatementCounter()
    engine = app.state.db.engine.sync_engine

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if _counting.get() is counter:
            counter.count += 1
            counter.statements.append(statement)

    token = _counting.set(counter)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        _counting.reset(token)


@dataclass
class RunningApp:
    """A started app with clients for each scope (``client`` is admin)."""

    app: FastAPI
    client: httpx.AsyncClient
    keys: dict[str, str]
    anonymous: httpx.AsyncClient

    def as_scope(self, scope: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.client._transport,
            base_url="http://test",
            headers={"Authorization": f"Bearer {self.keys[scope]}"},
        )

    @contextmanager
    def count_statements(self) -> Iterator[StatementCounter]:
        with count_statements(self.app) as counter:
            yield counter


def sources_with(
    plugins: Iterable[Any] = (), *, discover: bool = True, only: Iterable[str] | None = None
) -> list[PluginSource]:
    """Plugin sources: the installed ones plus test plugins.

    With ``only``, the installed plugins not named stay known to the kernel but are never
    imported: each is reported ``disabled`` with the reason "not selected" (so a selected
    plugin that requires one is told it is not enabled, not that it is not installed). A test
    plugin named like an installed one replaces it then.
    """
    found = discover_entry_points() if discover else []
    extra = [p if isinstance(p, PluginSource) else PluginSource.from_object(p) for p in plugins]
    if only is not None:
        wanted = set(only)
        # a test plugin named like an installed one, with a selection, stands in for it
        replaced = {s.name for s in extra}
        found = [s if s.name in wanted else s.deselected() for s in found if s.name not in replaced]
    return found + extra


@asynccontextmanager
async def running_app(settings: Settings, sources: list[PluginSource] | None = None) -> AsyncIterator[RunningApp]:
    """Build, migrate and start an app; issue a key per scope; stop it at exit."""
    app = create_app(settings, sources=sources)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        keys = {}
        for scope in ("read", "write", "admin"):
            keys[scope] = (await app.state.keys.create(f"test-{scope}", scope, replace=True)).token
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        client = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=transport, base_url="http://test", headers={"Authorization": f"Bearer {keys['admin']}"}
            )
        )
        anonymous = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://test"))
        yield RunningApp(app=app, client=client, keys=keys, anonymous=anonymous)
