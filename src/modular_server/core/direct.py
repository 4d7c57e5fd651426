"""Reads of plain rows straight from the driver, for statements that are read again and again.

SQLAlchemy's execution of a Core select costs more than the database's answer to it: the
statement's cache key, the execution context, the cursor adapter, the result metadata, two
greenlet switches - about a third of the server's CPU on a detail read of two statements,
measured in process. Plugins build their hot statements once and bind values per request, so
the work can be done once per statement instead: its SQL, the order and processing of its
parameters, and the names of its columns. This module does that for :func:`plain_rows` on
PostgreSQL (asyncpg) and runs the statement on the session's own driver connection.

What stays the same: the SQL text (compiled by SQLAlchemy for the same dialect), the values
(parameters go through the bind processors of their types, column values through the result
processors SQLAlchemy picks for their types and database types), the rows (SQLAlchemy ``Row`` objects with the column
names of the statement's first execution by SQLAlchemy), the transaction (read directly only on
an autocommit connection, or inside the transaction SQLAlchemy began on it) and the engine's
``before_cursor_execute`` / ``after_cursor_execute`` events, so statement counts, timings,
monitoring and tests see every statement as before. Listeners get no execution context
(``None``) and a cursor that only tells its ``rowcount``; a ``retval`` listener cannot rewrite
a direct read.

When anything is unusual - first sighting of a statement, a statement built per request, an
expanding ``IN``, a required parameter missing, any error of the driver - the read goes
through SQLAlchemy as before, which raises exactly what it always raised - but for the driver's
``command_timeout``, answered at once with the :class:`DatabaseTimeout` SQLAlchemy's path turns
it into (reading again would wait as long once more).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from sqlalchemy import Row, Select
from sqlalchemy.engine import Compiled, Dialect
from sqlalchemy.engine.result import result_tuple
from sqlalchemy.ext.asyncio import AsyncConnection

from modular_server.core.errors import DatabaseTimeout

#: key of the :class:`DirectReads` in the ``info`` of the sessions the core hands out
DIRECT_READS = "modular_server.direct_reads"
#: statements read twice or more, remembered with their plans (by identity): each is built
#: once by its plugin
KEPT_STATEMENTS = 1024
#: statements read once: a statement built per request lands here and never displaces a plan
KEPT_FIRST_SIGHTINGS = 256
AUTOCOMMIT = "AUTOCOMMIT"


@dataclass(frozen=True, slots=True)
class Plan:
    """How one statement is read directly."""

    compiled: Compiled
    sql: str
    names: tuple[str, ...]  # the parameters in the order of $1..$n
    processors: tuple[Callable[[Any], Any] | None, ...]
    make_row: Callable[[Sequence[Any]], Row[Any]]
    #: a record's values with SQLAlchemy's result processors applied (None: no column has one)
    convert: Callable[[Sequence[Any]], tuple[Any, ...]] | None


@dataclass(slots=True)
class _Seen:
    """A statement read through SQLAlchemy (its columns named ``keys``): planned when it comes
    again, or marked never to be read directly."""

    statement: Any  # kept alive: statements are found by identity
    keys: tuple[str, ...]
    plan: Plan | object | None = None


#: the plan of a statement that always goes through SQLAlchemy
_NEVER = object()


class _Fetched:
    """The cursor handed to ``after_cursor_execute`` listeners of a direct read."""

    __slots__ = ("rowcount",)

    def __init__(self, rowcount: int) -> None:
        self.rowcount = rowcount


class DirectReads:
    """The plans of one engine's statements.

    ``abandoned(connection)`` is called when a direct read that its listeners saw begin fails
    (the statement is then read through SQLAlchemy, whose events follow).
    """

    def __init__(self, dialect: Dialect, abandoned: Callable[[Any], None]) -> None:
        self.dialect = dialect
        self.enabled = dialect.name == "postgresql" and dialect.driver == "asyncpg"
        self.abandoned = abandoned
        self._planned: LRUCache[int, _Seen] = LRUCache(maxsize=KEPT_STATEMENTS)
        self._seen_once: LRUCache[int, _Seen] = LRUCache(maxsize=KEPT_FIRST_SIGHTINGS)
        #: reads answered directly, and through SQLAlchemy after a direct attempt failed
        self.direct = 0
        self.fell_back = 0

    def learn(self, statement: Any, keys: Sequence[str]) -> None:
        """After SQLAlchemy read ``statement`` (its columns named ``keys``): remember it, so
        that it is planned when it comes again (statements built per request never are)."""
        if self.enabled and isinstance(statement, Select) and not statement.get_execution_options():
            self._seen_once[id(statement)] = _Seen(statement, tuple(keys))

    async def rows(
        self, connection: AsyncConnection, statement: Any, parameters: Mapping[str, Any]
    ) -> list[Row[Any]] | None:
        """The rows, read directly; None when this read must go through SQLAlchemy."""
        known = self._planned.get(id(statement))
        if known is None or known.statement is not statement:
            known = self._seen_once.pop(id(statement), None)
            if known is None or known.statement is not statement:
                return None
            self._planned[id(statement)] = known  # its second reading: planned below
        if known.plan is _NEVER:
            return None
        sync = connection.sync_connection
        if sync is None or sync.closed or sync.invalidated:
            return None
        driver = sync.connection.driver_connection  # the session's connection: checked out already
        if driver is None:
            return None
        if not driver.is_in_transaction() and sync.get_execution_options().get("isolation_level") != AUTOCOMMIT:
            return None  # SQLAlchemy begins its transaction with the first statement: let it
        plan = known.plan
        if plan is None:
            plan = await _plan(statement, self.dialect, known.keys, driver)
            if plan is None:
                return None  # the database could not tell the columns' types now: next time
            known.plan = plan
            if plan is _NEVER:
                return None
        try:
            values = plan.compiled.construct_params(dict(parameters))
            arguments = [
                values[name] if process is None else process(values[name])
                for name, process in zip(plan.names, plan.processors, strict=True)
            ]
        except Exception:  # e.g. a required value missing: SQLAlchemy says so in its words
            return None
        dispatch = sync.dispatch
        dispatch.before_cursor_execute(sync, None, plan.sql, arguments, None, False)
        try:
            records = await driver.fetch(plan.sql, *arguments)
        except BaseException as exc:
            self.abandoned(sync)
            if not isinstance(exc, Exception):
                raise  # cancelled: the request is gone
            if isinstance(exc, TimeoutError):
                # the driver's command_timeout: reading again would wait as long once more
                raise DatabaseTimeout(f"statement not finished in time: {type(exc).__name__}") from exc
            self.fell_back += 1
            return None  # read again through SQLAlchemy, which raises (and invalidates) as ever
        dispatch.after_cursor_execute(sync, _Fetched(len(records)), plan.sql, arguments, None, False)
        self.direct += 1
        make_row, convert = plan.make_row, plan.convert
        if convert is None:
            return [make_row(record) for record in records]
        return [make_row(convert(record)) for record in records]


async def _plan(statement: Select[Any], dialect: Dialect, keys: Sequence[str], driver: Any) -> Plan | object | None:
    """The plan of ``statement``; ``_NEVER`` when it must always go through SQLAlchemy, None
    when the database could not be asked now."""
    try:
        compiled = statement.compile(dialect=dialect)
    except Exception:
        return _NEVER
    names = tuple(compiled.positiontup or ())
    sql = compiled.string
    if "POSTCOMPILE" in sql or (compiled.params and not names):
        return _NEVER  # rendered per execution (expanding IN): one SQL text it is not
    columns = list(statement.selected_columns)
    try:
        # the database's type of each column, as SQLAlchemy is told it (asyncpg: its OID)
        attributes = (await driver.prepare(sql)).get_attributes()
    except Exception:
        return None
    try:
        if len(attributes) != len(columns) or len(columns) != len(keys):
            return _NEVER
        # what SQLAlchemy does to each value, chosen as it chooses: by the column's type and the
        # database's type of the column (asyncpg: its OID), e.g. a UtcDateTime's zone
        converters = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, attribute.type.oid)
            for column, attribute in zip(columns, attributes, strict=True)
        )
        processors = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
    except Exception:
        return _NEVER
    return Plan(
        compiled=compiled,
        sql=sql,
        names=names,
        processors=processors,
        make_row=result_tuple(list(keys)),
        convert=_converter(converters) if any(convert is not None for convert in converters) else None,
    )


def _converter(converters: Sequence[Callable[[Any], Any] | None]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A function turning a record into its row's values: a tuple display with positional reads,
    each column that needs it passed through its processor, compiled once per statement (a loop
    with a test per column made a 100-row page slower than SQLAlchemy's own conversion)."""
    items = [f"record[{i}]" if convert is None else f"convert_{i}(record[{i}])" for i, convert in enumerate(converters)]
    scope: dict[str, Any] = {f"convert_{i}": convert for i, convert in enumerate(converters) if convert is not None}
    source = f"lambda record: ({', '.join(items)},)"
    return eval(compile(source, "<direct_reads>", "eval"), {"__builtins__": {}, **scope})
