"""Direct reads: ``plain_rows`` reads a statement it has seen before straight from asyncpg -
with the same rows (values, types, names), the same events, the same transaction and, when the
driver fails, SQLAlchemy's own error."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    bindparam,
    event,
    func,
    select,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from modular_server.core.database import _abandon_timing
from modular_server.core.direct import DIRECT_READS, DirectReads
from modular_server.core.errors import DatabaseTimeout
from modular_server.plugin import labelled, one_of, plain_rows
from tests.support.engines import engine_with

METADATA = MetaData()
ITEMS = Table(
    "direct_item",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("code", String(20)),
    Column("menge", Numeric(18, 3)),
    Column("gewicht", Numeric(10, 2, asdecimal=False)),  # read as float: SQLAlchemy converts
    Column("aktiv", Boolean, nullable=False),
    Column("mhd", Date),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("parent_id", Integer),
)
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
ROWS = [
    {
        "id": n,
        "code": f"c-{n}" if n % 3 else None,
        "menge": Decimal(n) / 8,
        "gewicht": n / 4,
        "aktiv": n % 2 == 0,
        "mhd": dt.date(2027, 1, n) if n % 4 else None,
        "created_at": NOW + dt.timedelta(minutes=n),
        "parent_id": n - 1 if n > 1 else None,
    }
    for n in range(1, 21)
]
PARENT = ITEMS.alias("parent")
# built once, values bound per call - as the plugins build their hot statements; a literal
# (menge > 0) travels as a bound value of its own, the list as one array (a bind processor)
WITH_PARENT = (
    select(
        ITEMS.c.id,
        ITEMS.c.code,
        ITEMS.c.menge,
        ITEMS.c.aktiv,
        ITEMS.c.mhd,
        ITEMS.c.created_at,
        *labelled(PARENT.c, "parent", ["id", "code"]),
    )
    .outerjoin(PARENT, PARENT.c.id == ITEMS.c.parent_id)
    .where(one_of(ITEMS.c.id, "ids"), ITEMS.c.menge > 0, ITEMS.c.created_at >= bindparam("since"))
    .order_by(ITEMS.c.id)
)
WITH_FLOAT = select(ITEMS.c.id, ITEMS.c.gewicht).where(ITEMS.c.id <= bindparam("top")).order_by(ITEMS.c.id)
PARAMETERS = {"ids": [1, 2, 3, 5, 8, 13], "since": NOW}


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_with(database_url, ITEMS, ROWS) as engine:
        yield engine


@pytest.fixture
def direct(engine: AsyncEngine) -> DirectReads:
    return DirectReads(engine.dialect, _abandon_timing)


def _sessions(engine: AsyncEngine, direct: DirectReads | None, *, autocommit: bool = True) -> Any:
    bind = engine.execution_options(isolation_level="AUTOCOMMIT") if autocommit else engine
    return async_sessionmaker(bind, expire_on_commit=False, info={DIRECT_READS: direct} if direct else {})


async def _read(sessions: Any, statement: Any, parameters: dict[str, Any]) -> list[Any]:
    session: AsyncSession
    async with sessions() as session:
        return await plain_rows(session, statement, parameters)


def _shape(rows: list[Any]) -> list[Any]:
    """Everything a caller can see of the rows: names, values and their types."""
    return [(row._fields, tuple(row), [type(value) for value in row], dict(row._mapping)) for row in rows]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_statement_read_again_comes_from_the_driver_with_the_same_rows(engine, direct):
    reference = _shape(await _read(_sessions(engine, None), WITH_PARENT, PARAMETERS))
    assert len(reference) == 6
    sessions = _sessions(engine, direct)
    first = await _read(sessions, WITH_PARENT, PARAMETERS)
    assert direct.direct == 0, "the first reading is SQLAlchemy's: it names the columns"
    again = [await _read(sessions, WITH_PARENT, PARAMETERS) for _ in range(3)]
    assert direct.direct == 3 and direct.fell_back == 0
    for rows in (first, *again):
        assert _shape(rows) == reference
    assert again[0][0].parent__code is None and again[0][1].parent__id == 1  # attribute access by label
    other = await _read(sessions, WITH_PARENT, {"ids": [20], "since": NOW})
    assert [row.id for row in other] == [20], "values are bound per read"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_column_sqlalchemy_converts_is_converted_the_same_way(engine, direct):
    reference = _shape(await _read(_sessions(engine, None), WITH_FLOAT, {"top": 2}))
    sessions = _sessions(engine, direct)
    for _ in range(3):
        rows = await _read(sessions, WITH_FLOAT, {"top": 2})
        assert _shape(rows) == reference
        assert [row.gewicht for row in rows] == [0.25, 0.5] and all(type(row.gewicht) is float for row in rows)
    assert direct.direct == 2, "NUMERIC read as float: SQLAlchemy's processor applied to the driver's Decimal"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_statement_rendered_per_read_is_always_read_by_sqlalchemy(engine, direct):
    expanding = select(ITEMS.c.id).where(ITEMS.c.id.in_(bindparam("ids", expanding=True))).order_by(ITEMS.c.id)
    sessions = _sessions(engine, direct)
    for ids in ([1, 2], [3], [4, 5, 6]):
        assert [row.id for row in await _read(sessions, expanding, {"ids": ids})] == ids
    assert direct.direct == 0, "an expanding IN has one SQL text per length"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_statement_built_per_read_is_never_planned(engine, direct):
    sessions = _sessions(engine, direct)
    for _ in range(3):
        fresh = select(ITEMS.c.id).where(ITEMS.c.id == bindparam("id"))
        assert [row.id for row in await _read(sessions, fresh, {"id": 4})] == [4]
    assert direct.direct == 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_every_direct_read_is_seen_by_the_engines_statement_events(engine, direct):
    seen: list[tuple[str, str, int | None]] = []
    event.listen(
        engine.sync_engine, "before_cursor_execute", lambda _c, _k, sql, *_: seen.append(("before", sql, None))
    )
    event.listen(
        engine.sync_engine,
        "after_cursor_execute",
        lambda _c, cursor, sql, *_: seen.append(("after", sql, cursor.rowcount)),
    )
    sessions = _sessions(engine, direct)
    for _ in range(3):
        await _read(sessions, WITH_PARENT, PARAMETERS)
    assert direct.direct == 2
    assert [(kind, rowcount) for kind, _sql, rowcount in seen] == [("before", None), ("after", 6)] * 3
    assert len({sql for _kind, sql, _rowcount in seen}) == 1, "the same SQL text as SQLAlchemy's"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_read_the_driver_refuses_raises_sqlalchemys_error_and_leaves_no_timing_behind(engine, direct):
    sessions = _sessions(engine, direct)
    for _ in range(2):
        await _read(sessions, WITH_PARENT, PARAMETERS)
    too_big = {"ids": [2**40], "since": NOW}  # outside INTEGER: the driver refuses the value
    with pytest.raises(DBAPIError) as without:
        await _read(_sessions(engine, None), WITH_PARENT, too_big)
    async with sessions() as session:
        with pytest.raises(DBAPIError) as directly:
            await plain_rows(session, WITH_PARENT, too_big)
        assert type(directly.value) is type(without.value) and type(directly.value.orig) is type(without.value.orig)
        connection = await session.connection()
        assert not connection.sync_connection.info.get("query_started"), "a failed read's start is forgotten"
    assert direct.fell_back == 1


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_in_a_transaction_a_direct_read_waits_for_sqlalchemys_begin_and_then_reads_inside_it(engine, direct):
    for _ in range(2):  # planned
        await _read(_sessions(engine, direct), WITH_PARENT, PARAMETERS)
    before = direct.direct
    async with _sessions(engine, direct, autocommit=False)() as session, session.begin():
        # nothing executed yet: SQLAlchemy has not begun the transaction on the connection
        first = await plain_rows(session, WITH_PARENT, PARAMETERS)
        assert direct.direct == before, "the transaction's first statement is SQLAlchemy's"
        await (await session.connection()).execute(ITEMS.update().where(ITEMS.c.id == 1).values(code="changed"))
        inside = await plain_rows(session, WITH_PARENT, PARAMETERS)
        assert direct.direct == before + 1
        assert inside[0].code == "changed", "read inside the transaction: its own change is seen"
        await session.rollback()
    assert first[0].code == "c-1"
    assert (await _read(_sessions(engine, direct), WITH_PARENT, PARAMETERS))[0].code == "c-1"


async def test_on_sqlite_every_read_is_sqlalchemys(engine, direct):
    sessions = _sessions(engine, direct)
    for _ in range(3):
        assert len(await _read(sessions, WITH_PARENT, PARAMETERS)) == 6
    assert not direct.enabled and direct.direct == 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_direct_read_that_times_out_is_not_read_again(database_url, direct):
    slow = select(ITEMS.c.id, func.pg_sleep(bindparam("pause"))).where(ITEMS.c.id == 1)
    engine = create_async_engine(database_url, connect_args={"command_timeout": 0.3})
    try:
        async with engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
        sessions = _sessions(engine, direct)
        for _ in range(2):  # planned
            await _read(sessions, slow, {"pause": 0})
        sent: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", lambda _c, _k, sql, *_: sent.append(sql))
        async with sessions() as session:
            with pytest.raises(DatabaseTimeout):
                await plain_rows(session, slow, {"pause": 5})
            connection = await session.connection()
            assert not connection.sync_connection.info.get("query_started")
        assert len(sent) == 1, "one wait for the timeout, not a second one through SQLAlchemy"
        assert direct.fell_back == 0
    finally:
        await engine.dispose()
