"""An engine on the test's database with one table of its own, created and filled."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


@asynccontextmanager
async def engine_with(database_url: str, table: Table, rows: Sequence[Mapping[str, Any]]) -> AsyncIterator[AsyncEngine]:
    """A plain engine (no app) on ``database_url`` with ``table`` created and ``rows`` in it."""
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(table.metadata.create_all, tables=[table])
            await connection.execute(table.insert(), list(rows))
        yield engine
    finally:
        await engine.dispose()
