"""``one_of``: a column matched against a bound list selects what ``in_`` selects, on both
backends, with one SQL text (and one compiled-cache entry) for every length of the list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table, bindparam, event, select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase

from modular_server.plugin import one_of
from modular_server.testing import BOTH
from tests.support.engines import engine_with

METADATA = MetaData()
ITEMS = Table(
    "listmatch_item",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("code", String(20)),
    Column("menge", Numeric(18, 3)),
)
ROWS = [{"id": n, "code": f"c-{n}" if n % 4 else None, "menge": n} for n in range(1, 41)]
BY_ID_AND_CODE = select(ITEMS.c.id).where(one_of(ITEMS.c.id, "ids"), one_of(ITEMS.c.code, "codes")).order_by(ITEMS.c.id)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_with(database_url, ITEMS, ROWS) as engine:
        yield engine


def _expected(ids: Any, codes: Any) -> list[int]:
    return [r["id"] for r in ROWS if r["id"] in set(ids) and r["code"] in set(codes)]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_the_rows_are_those_in_selects_for_lists_of_every_length(engine: AsyncEngine) -> None:
    everything = [f"c-{n}" for n in range(41)]
    cases = [
        ([3, 5, 8], everything),
        ([], everything),  # an empty list matches nothing
        (list(range(1, 41)), everything),
        ({7, 9, 12}, ("c-7", "c-12", "c-99")),  # sets and tuples are lists too
        ((4, 8), everything),  # rows whose code is NULL match no list
        ([2, 2, 2], ["c-2"]),  # duplicates match once
    ]
    async with engine.connect() as connection:
        for ids, codes in cases:
            found = (await connection.execute(BY_ID_AND_CODE, {"ids": ids, "codes": codes})).scalars().all()
            reference = select(ITEMS.c.id).where(ITEMS.c.id.in_(list(ids)), ITEMS.c.code.in_(list(codes)))
            assert found == _expected(ids, codes), (ids, codes)
            assert found == (await connection.execute(reference.order_by(ITEMS.c.id))).scalars().all()


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_one_sql_text_whatever_the_length_where_in_renders_one_per_length(engine: AsyncEngine) -> None:
    texts: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: texts.append(args[2]))
    expanding = select(ITEMS.c.id).where(ITEMS.c.id.in_(bindparam("ids", expanding=True)))
    async with engine.connect() as connection:
        for length in (1, 2, 5, 30):
            ids = list(range(1, length + 1))
            await connection.execute(BY_ID_AND_CODE, {"ids": ids, "codes": ["c-1"]})
            await connection.execute(expanding, {"ids": ids})
    ours, theirs = texts[0::2], texts[1::2]
    assert len(set(ours)) == 1
    assert len(set(theirs)) == 4  # what one_of saves: a text (and a prepared statement) per length
    # the statement is compiled once: its cache key does not depend on the bound list
    rebuilt = select(ITEMS.c.id).where(one_of(ITEMS.c.id, "ids"), one_of(ITEMS.c.code, "codes")).order_by(ITEMS.c.id)
    assert rebuilt._generate_cache_key() == BY_ID_AND_CODE._generate_cache_key()


class _Local(DeclarativeBase):
    metadata = METADATA


class Item(_Local):
    __table__ = ITEMS


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_mapped_attributes_work_like_columns(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        found = await connection.execute(select(Item.id).where(one_of(Item.code, "codes")), {"codes": ["c-1", "c-40"]})
    assert [row.id for row in found] == [1]  # 40 % 4 == 0: no code


async def test_a_string_none_or_an_unlistable_column_is_refused_with_a_reason(engine: AsyncEngine) -> None:
    with pytest.raises(TypeError, match="only Integer and String"):
        one_of(ITEMS.c.menge, "mengen")
    async with engine.connect() as connection:
        for wrong in ("c-1", None):
            with pytest.raises(StatementError, match="bind a list of values"):
                await connection.execute(BY_ID_AND_CODE, {"ids": [1], "codes": wrong})
