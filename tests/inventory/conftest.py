"""Shared fixtures of the inventory tests (artikel, chargen, lager, reservierungen).

Keep this small and additive: several plugins' tests use it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.core.database import Base
from modular_server.testing import RunningApp

InsertRows = Callable[[RunningApp, str, Sequence[Mapping[str, Any]]], Awaitable[list[int]]]


@pytest.fixture
def insert_rows() -> InsertRows:
    """``await insert_rows(running, "bestand", [{...}, ...])`` -> the new ids, in order.

    One multi-row INSERT through the app's own database (real SQL, no mocks): for building
    datasets faster than one API call per row, and for rows of plugins whose API is not the
    subject of the test.
    """

    async def insert_into(running: RunningApp, table: str, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        target = Base.metadata.tables[table]

        async def work(session: AsyncSession) -> list[int]:
            statement = insert(target).returning(target.c.id, sort_by_parameter_order=True)
            return list((await session.execute(statement, list(rows))).scalars())

        return await running.app.state.db.transaction(work)

    return insert_into


def read_statements(backend: str, selects: int) -> int:
    """Statements a read request with ``selects`` queries sends: SQLite's session also sends its
    explicit BEGIN as a statement (the core takes BEGIN over from the driver), PostgreSQL's does not."""
    return selects + (1 if backend == "sqlite" else 0)
