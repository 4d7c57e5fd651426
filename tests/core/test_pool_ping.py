"""Pooled PostgreSQL connections are pinged only after they sat idle: no round trip per request
under load, and a connection the database closed meanwhile is replaced before a request uses it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from modular_server.core.pool_ping import ping_when_idle

PID = text("SELECT pg_backend_pid()")
pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def admin(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url, poolclass=NullPool)
    yield engine
    await engine.dispose()


async def _terminate(admin: AsyncEngine, pid: int) -> None:
    async with admin.connect() as connection:
        assert await connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


async def _pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(PID))


async def test_a_connection_is_pinged_only_after_idle_and_replaced_when_closed(database_url, admin, monkeypatch):
    clock = Clock()
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine.sync_engine, 5.0, clock)
    pings: list[object] = []
    real_ping = engine.dialect.do_ping

    def counting_ping(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting_ping)
    try:
        first = await _pid(engine)  # fresh: no ping
        for _ in range(3):  # in use again within the idle time: no ping
            clock.now += 4.9
            assert await _pid(engine) == first
        assert pings == []

        clock.now += 5.5  # idle long enough: pinged, alive, kept
        assert await _pid(engine) == first
        assert len(pings) == 1

        await _terminate(admin, first)  # the database closes it while it is idle
        clock.now += 5.5
        replaced = await _pid(engine)
        assert replaced != first, "the failed ping replaced the connection before the statement ran"
        assert len(pings) == 2
    finally:
        await engine.dispose()


async def test_the_server_answers_after_the_database_closed_its_idle_connections(make_app, admin):
    # 0: ping before every use - the first request after the closure answers normally
    async with make_app(only=["artikel"], database_ping_after_idle_seconds=0) as running:
        assert (await running.client.get("/api/v1/artikel")).status_code == 200
        await _terminate(admin, await _pid(running.app.state.db.engine))
        response = await running.client.get("/api/v1/artikel")
        assert response.status_code == 200, response.text
