"""One data layer: the engine and sessions owned by the app, and the query and commit
lifecycles turned into hooks.

* Reads use :meth:`Database.session` (FastAPI dependency :data:`~modular_server.core.dependencies.ReadSession`).
* Writes go through :meth:`Database.transaction`, which serializes writers on SQLite
  (``BEGIN IMMEDIATE`` plus an in-process lock, so no "database is locked"), retries on
  serialization failures and deadlocks, and commits before returning - so after the handler
  answers, the change is durable and the cache has been invalidated.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from modular_server.core import audit
from modular_server.core.base import Base
from modular_server.core.direct import DIRECT_READS, DirectReads
from modular_server.core.errors import DatabaseTimeout, DatabaseUnreachable, sqlstate_of
from modular_server.core.fingerprint import Fingerprinter
from modular_server.core.pool_ping import ping_when_idle
from modular_server.core.sqlite_open import open_aiosqlite
from modular_server.hooks.context import Change, DomainEvent, QueryInfo, _current_request
from modular_server.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from modular_server.core.plugins import PluginHost

log = logging.getLogger("modular_server.database")
T = TypeVar("T")

# Base is re-exported: plugins import it from here, next to the sessions they use. The FastAPI
# dependencies (ReadSession, DatabaseDep) are in core.dependencies: this module loads no web
# framework, so the command line's `keys` and `db` work without one.
__all__ = ["ROWS_NOTED", "Base", "Database", "note_change", "publish_event"]

AUDIT_TABLE = "audit_log"
_CHANGES = "modular_server.changes"
_EVENTS = "modular_server.events"
# tasks started by changes_committed observers; Database.transaction waits for them
_SETTLING = "modular_server.settling"
_WRITE = "modular_server_write"
# start times of the statements in flight on a connection (noted by before_cursor_execute)
_QUERY_STARTED = "query_started"
#: execution option for a Core statement whose every changed row is reported with
#: :func:`note_change` (or by a later ORM flush): no table-level change is reported for it, so
#: observers such as the cache can act on the rows instead of the whole table
ROWS_NOTED = "modular_server_rows_noted"
# PostgreSQL: serialization_failure, deadlock_detected; SQLite: busy/locked
_RETRY_SQLSTATES = {"40001", "40P01"}


def _abandon_timing(connection: Connection) -> None:
    """A statement whose start was noted failed: forget its start (the next one's is on top)."""
    started = connection.info.get(_QUERY_STARTED)
    if started:
        started.pop()


def note_change(session: AsyncSession | Session, change: Change) -> None:
    """Report a change made by a Core statement (guarded UPDATE, bulk insert) at row level.

    ORM flushes are reported automatically; this is for statements the ORM cannot see into.
    """
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    sync.info.setdefault(_CHANGES, []).append(change)


def publish_event(session: AsyncSession | Session, event_: DomainEvent) -> None:
    """Queue a domain event; it is delivered only if the session's transaction commits."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    sync.info.setdefault(_EVENTS, []).append(event_)


AUTOCOMMIT = "AUTOCOMMIT"


class Database:
    """Engine, session factories and lifecycle events for one app."""

    def __init__(self, settings: Settings, host: PluginHost) -> None:
        self.settings = settings
        self.host = host
        self.app: FastAPI | None = None
        self.is_sqlite = settings.is_sqlite
        self.engine: AsyncEngine = self._create_engine(settings)
        self._fingerprints = Fingerprinter()
        self._write_lock = asyncio.Lock()
        self.audited = audit.audited_tables(settings, host.active())
        tracked = type("TrackedSession", (Session,), {})
        # plain_rows reads a statement it has seen before straight from the driver (PostgreSQL)
        self.direct_reads = DirectReads(self.engine.dialect, _abandon_timing)
        direct = {DIRECT_READS: self.direct_reads}
        self._sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=tracked, info=direct
        )
        self._autocommit_sessions = async_sessionmaker(
            self.engine.execution_options(isolation_level=AUTOCOMMIT),
            expire_on_commit=False,
            sync_session_class=tracked,
            info=direct,
        )
        self._write_sessions = async_sessionmaker(
            self.engine.execution_options(**{_WRITE: True}),
            expire_on_commit=False,
            sync_session_class=tracked,
            info=direct,
        )
        self._listen_queries(self.engine.sync_engine)
        self._listen_commits(tracked)
        # Read replicas: GET handlers read through them (round robin); writes never do.
        self.replicas: list[AsyncEngine] = []
        self._replica_sessions: list[async_sessionmaker[AsyncSession]] = []
        self._replica_autocommit_sessions: list[async_sessionmaker[AsyncSession]] = []
        for url in settings.database_replica_urls:
            replica = self._create_engine(settings.model_copy(update={"database_url": url}))
            self._listen_queries(replica.sync_engine)
            self.replicas.append(replica)
            replica_direct = {DIRECT_READS: DirectReads(replica.dialect, _abandon_timing)}
            self._replica_sessions.append(async_sessionmaker(replica, expire_on_commit=False, info=replica_direct))
            self._replica_autocommit_sessions.append(
                async_sessionmaker(
                    replica.execution_options(isolation_level=AUTOCOMMIT), expire_on_commit=False, info=replica_direct
                )
            )
        self._next_replica = itertools.cycle(range(len(self.replicas))) if self.replicas else None

    # --- engine ----------------------------------------------------------------------------

    def _create_engine(self, settings: Settings) -> AsyncEngine:
        if settings.is_sqlite:
            engine = create_async_engine(
                settings.database_url,
                connect_args={"timeout": settings.database_timeout_seconds},
                hide_parameters=not settings.log_sql_parameters,
            )
            self._configure_sqlite(engine.sync_engine)
            return engine
        engine = create_async_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_pool_size,
            pool_timeout=settings.database_timeout_seconds,
            # keeps parameter values out of SQLAlchemy's log lines and exception messages
            hide_parameters=not settings.log_sql_parameters,
            connect_args={
                "timeout": settings.database_timeout_seconds,
                "command_timeout": settings.database_timeout_seconds * 6,
            },
        )
        _name_connect_failures(engine.sync_engine)
        ping_when_idle(engine.sync_engine, settings.database_ping_after_idle_seconds)
        return engine

    def _configure_sqlite(self, engine: Engine) -> None:
        timeout_ms = int(self.settings.database_timeout_seconds * 1000)

        @event.listens_for(engine, "do_connect")
        def _open(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
            # SQLAlchemy's adapter opens through this function instead of aiosqlite.connect
            cparams["async_creator_fn"] = open_aiosqlite

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            # take over BEGIN from the driver, so that writers can BEGIN IMMEDIATE
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL", f"busy_timeout={timeout_ms}"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    async def dispose(self) -> None:
        await self.engine.dispose()
        for replica in self.replicas:
            await replica.dispose()

    # --- sessions --------------------------------------------------------------------------

    @asynccontextmanager
    async def session(self, *, replica: bool = False, autocommit: bool = False) -> AsyncIterator[AsyncSession]:
        """A read session on the primary, or on a read replica when ``replica`` and one is configured.

        ``autocommit`` (requests that only read): on PostgreSQL every statement is a transaction
        of its own, without the BEGIN and ROLLBACK round trips around the request - at READ
        COMMITTED a read transaction gave each statement a snapshot of its own as well. SQLite
        reads keep their transaction (the core sends its BEGIN itself).
        """
        autocommit = autocommit and not self.is_sqlite
        if self._next_replica is None or not replica:
            factory = self._autocommit_sessions if autocommit else self._sessions
        else:
            index = next(self._next_replica)
            factory = (self._replica_autocommit_sessions if autocommit else self._replica_sessions)[index]
        async with factory() as session:
            yield session

    @asynccontextmanager
    async def _writer(self) -> AsyncIterator[AsyncSession]:
        if self.is_sqlite:
            async with self._write_lock, self._write_sessions() as session:
                yield session
        else:
            async with self._write_sessions() as session:
                yield session

    async def transaction(self, work: Callable[[AsyncSession], Awaitable[T]], *, retries: int = 3) -> T:
        """Run ``work`` in one write transaction and commit; retry on serialization failures.

        ``work`` must be safe to run again (it sees a fresh session each attempt).
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._writer() as session:
                    async with session.begin():
                        result = await work(session)
                    settling = session.info.pop(_SETTLING, None)
                break
            except (OperationalError, DBAPIError) as exc:
                if attempt > retries or not _retryable(exc):
                    raise
                log.info("retrying transaction after %s (attempt %d)", type(exc.orig).__name__, attempt)
                await asyncio.sleep(0.005 * 2**attempt)
        if settling:
            # what changes_committed observers started (e.g. invalidating a shared cache) ends
            # before the write is acknowledged; each task is bounded by observer_timeout_seconds
            await asyncio.wait(settling)
        return result

    # --- query lifecycle -------------------------------------------------------------------

    def _listen_queries(self, engine: Engine) -> None:
        dialect = engine.dialect.name
        redact = not self.settings.log_sql_parameters

        @event.listens_for(engine, "before_cursor_execute")
        def _before(
            conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
        ) -> None:
            conn.info.setdefault(_QUERY_STARTED, []).append(time.perf_counter())

        @event.listens_for(engine, "after_cursor_execute")
        def _after(
            conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
        ) -> None:
            duration = time.perf_counter() - conn.info[_QUERY_STARTED].pop()
            ctx = _current_request.get()
            if ctx is not None:
                ctx.db_statements += 1
                ctx.db_time += duration
            if not self.host.has_observers("query_executed"):
                return
            fingerprint, is_select = self._fingerprints(statement)
            query = QueryInfo(
                fingerprint=fingerprint,
                statement=statement,
                duration=duration,
                rowcount=cursor.rowcount if cursor.rowcount is not None else -1,
                is_select=is_select,
                executemany=executemany,
                dialect=dialect,
                parameters=None if redact else parameters,
            )
            self.host.observe("query_executed", app=self.app, ctx=ctx, query=query)

        @event.listens_for(engine, "handle_error")
        def _error(context: Any) -> BaseException | None:
            if context.connection is not None:
                _abandon_timing(context.connection)
            original = context.original_exception
            if isinstance(original, TimeoutError) and not isinstance(original, DatabaseTimeout):
                # asyncpg's command_timeout arrives as a bare TimeoutError: name it
                return DatabaseTimeout(f"statement not finished in time: {type(original).__name__}")
            return None

    # --- commit lifecycle ------------------------------------------------------------------

    def _listen_commits(self, session_class: type[Session]) -> None:
        audited = self.audited

        @event.listens_for(session_class, "after_flush")
        def _flushed(session: Session, _flush_context: Any) -> None:
            audit.collect_flushed(session, audited)
            changes = session.info.setdefault(_CHANGES, [])
            for op, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
                for obj in objects:
                    if op == "update" and not session.is_modified(obj, include_collections=False):
                        continue
                    changes.append(_row_change(obj, op))

        @event.listens_for(session_class, "do_orm_execute")
        def _bulk(state: Any) -> None:
            if state.is_insert or state.is_update or state.is_delete:
                table = getattr(state.statement, "table", None)
                if table is not None and table.name != AUDIT_TABLE:
                    op = "insert" if state.is_insert else "update" if state.is_update else "delete"
                    if not state.execution_options.get(ROWS_NOTED):
                        state.session.info.setdefault(_CHANGES, []).append(Change(table=table.name, op=op))
                    audit.collect_statement(state.session, audited, op, table.name, state.parameters)

        @event.listens_for(session_class, "before_commit")
        def _committing(session: Session) -> None:
            # commit() calls this hook before its final flush: flush first so nothing escapes
            session.flush()
            audit.write_pending(session)

        @event.listens_for(session_class, "after_commit")
        def _committed(session: Session) -> None:
            changes = session.info.pop(_CHANGES, None)
            events = session.info.pop(_EVENTS, None)
            if changes and self.host.has_observers("changes_committed"):
                settling = self.host.observe("changes_committed", app=self.app, changes=_dedupe(changes))
                if settling:
                    session.info.setdefault(_SETTLING, []).extend(settling)
            for domain_event in events or ():
                self.host.observe("event_published", app=self.app, event=domain_event)

        @event.listens_for(session_class, "after_rollback")
        def _rolled_back(session: Session) -> None:
            session.info.pop(_CHANGES, None)
            session.info.pop(_EVENTS, None)
            audit.discard_pending(session)

    async def publish(self, domain_event: DomainEvent) -> None:
        """Publish an event that belongs to no transaction (e.g. from a scheduled check)."""
        self.host.observe("event_published", app=self.app, event=domain_event)


def _row_change(obj: Any, op: str) -> Change:
    mapper = inspect(obj).mapper
    table = mapper.local_table
    pk = tuple(mapper.primary_key_from_instance(obj))
    related = {}
    for column in table.columns:
        if column.foreign_keys:
            related[column.key] = getattr(obj, mapper.get_property_by_column(column).key, None)
    return Change(table=table.name, op=op, pk=pk, related=related)  # type: ignore[arg-type]


def _dedupe(changes: list[Change]) -> list[Change]:
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for change in changes:
        key = (change.table, change.op, change.pk, tuple(sorted(change.related.items())))
        if key not in seen:
            seen.add(key)
            unique.append(change)
    return unique


def _name_connect_failures(engine: Engine) -> None:
    """asyncpg raises a bare OSError when it cannot connect; name it, so that only a failure
    to reach the database (not any OSError of a request) is answered "database unavailable"."""

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except OSError as exc:
            raise DatabaseUnreachable(f"{type(exc).__name__}: {exc}") from exc


def _retryable(exc: DBAPIError) -> bool:
    # asyncpg's SQLSTATE sits on SQLAlchemy's adapted error and on its cause
    if sqlstate_of(exc) in _RETRY_SQLSTATES:
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "deadlock" in text or "could not serialize" in text
