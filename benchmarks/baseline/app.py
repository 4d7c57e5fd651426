"""The baseline FastAPI app: ``uvicorn benchmarks.baseline.app:app_factory --factory`` with
``BENCH_BASELINE_DATABASE_URL`` naming its database (a copy without secondary indexes).

Every response carries ``X-Query-Count``, counted by a SQLAlchemy event listener, so the
benchmark reads the baseline's statements per request the same way as the product's.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import Any

from fastapi import FastAPI, HTTPException, Query
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from benchmarks.baseline import views, writes

DATABASE_URL_ENV = "BENCH_BASELINE_DATABASE_URL"


class StatementCounter:
    """Pure ASGI middleware: counts the statements of each request into ``X-Query-Count``."""

    def __init__(self, app: ASGIApp, counter: ContextVar[list[int] | None]) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = [0]
        token = self.counter.set(seen)

        async def send_with_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-query-count", str(seen[0]).encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_count)
        finally:
            self.counter.reset(token)


def _count_statements(engine: AsyncEngine, counter: ContextVar[list[int] | None]) -> None:
    def seen(*_: Any) -> None:
        current = counter.get()
        if current is not None:
            current[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", seen)


def create_baseline_app(database_url: str) -> FastAPI:
    engine = create_async_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    counter: ContextVar[list[int] | None] = ContextVar("baseline_statements", default=None)
    _count_statements(engine, counter)
    # SQLite allows one writer; without this, concurrent bookings fail with "database is locked"
    write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    async def read(work: Callable[[Session], Any]) -> Any:
        async with sessions() as session:
            return await session.run_sync(work)

    async def write(work: Callable[[Session], Any]) -> Any:
        async def transaction() -> Any:
            async with sessions() as session, session.begin():
                return await session.run_sync(work)

        if write_lock is None:
            return await transaction()
        async with write_lock:
            return await transaction()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(title="baseline (benchmarks only)", lifespan=lifespan)
    app.add_middleware(StatementCounter, counter=counter)

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/chargen")
    async def chargen(offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500)) -> Any:
        return await read(lambda s: views.chargen_seite(s, offset, limit))

    @app.get("/api/v1/chargen/{charge_id}")
    async def charge(charge_id: int) -> Any:
        return _found(await read(lambda s: views.charge_detail(s, charge_id)))

    @app.get("/api/v1/artikel")
    async def artikel(
        kategorie: str | None = None, offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500)
    ) -> Any:
        return await read(lambda s: views.artikel_seite(s, kategorie, offset, limit))

    @app.get("/api/v1/artikel/{artikel_id}/verfuegbarkeit")
    async def verfuegbarkeit(artikel_id: int, stichtag: date | None = None) -> Any:
        tag = stichtag or datetime.now(UTC).date()
        return _found(await read(lambda s: views.verfuegbarkeit(s, artikel_id, tag)))

    writes.add_routes(app, write)
    return app


def _found(value: Any) -> Any:
    if value is None:
        raise HTTPException(status_code=404)
    return value


def app_factory() -> FastAPI:
    return create_baseline_app(os.environ[DATABASE_URL_ENV])
