"""Seeding any plugin's table through the app's own database (real SQL, no mocks)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.core.database import Base
from modular_server.testing import RunningApp

InsertRows = Callable[[RunningApp, str, Sequence[Mapping[str, Any]]], Awaitable[list[int]]]


async def insert_rows(running: RunningApp, table: str, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """One multi-row INSERT into ``table``; the new ids, in order.

    For building datasets faster than one API call per row, and for rows of plugins whose API
    is not the subject of the test. A bulk statement: observers see it at table level.
    """
    target = Base.metadata.tables[table]

    async def work(session: AsyncSession) -> list[int]:
        statement = insert(target).returning(target.c.id, sort_by_parameter_order=True)
        return list((await session.execute(statement, list(rows))).scalars())

    return await running.app.state.db.transaction(work)
