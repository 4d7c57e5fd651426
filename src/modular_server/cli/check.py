"""`plugins --check`: rehearse what the server does at start-up, without changing the database.

The server migrates (or refuses a schema that is behind), starts every plugin and stops them
again; so does the check, against the configured database:

* every history's pending migrations are applied to the configured database inside one
  transaction that is rolled back (DDL is transactional on PostgreSQL and, with the explicit
  BEGIN the engine issues, on SQLite); each history runs in a savepoint, so one failing
  plugin leaves the others checked; a plugin whose migration fails is ``setup_failed``;
* then ``startup`` and ``shutdown`` of every serving plugin run through the plugin host, with
  the server's deadline - a startup that raises or overruns is ``setup_failed``. They run on
  a schema that is current: the configured database when nothing was pending, else a sandbox
  (:mod:`.sandbox`) where every migration was applied for real.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from modular_server.cli.sandbox import sandbox_database
from modular_server.core.app import create_app
from modular_server.core.migrator import History, histories
from modular_server.core.states import PluginState
from modular_server.settings import Settings


@dataclass(slots=True)
class MigrationCheck:
    """One history's pending revisions and whether they applied."""

    history: str
    current: tuple[str, ...]
    heads: tuple[str, ...]
    pending: tuple[str, ...]
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def as_dict(self) -> dict[str, Any]:
        return {
            "history": self.history,
            "current": list(self.current),
            "heads": list(self.heads),
            "pending": list(self.pending),
            "ok": self.ok,
            "error": self.error,
        }


@dataclass(slots=True)
class CheckResult:
    #: the host whose records tell the outcome (states after startup and shutdown)
    host: Any
    migrations: list[MigrationCheck]
    #: what an operator should know but is not a plugin failure
    notes: list[str]


async def rehearse(app: FastAPI) -> CheckResult:
    """Migrations (rolled back), then each plugin's startup and shutdown on a schema that is
    current: the configured database when nothing is pending, else a sandbox copy of it."""
    settings: Settings = app.state.settings
    try:
        migrations = await _rehearse_migrations(app.state.db.engine, histories(app.state.host))
    except BaseException:
        await _release(app)
        raise
    failed = {check.history: check.error for check in migrations if check.error}
    behind = [check.history for check in migrations if check.pending]
    notes = _notes(settings, behind)
    if "core" in failed:
        await _release(app)
        notes.append("the core's own migrations fail: no plugin can start")
        return CheckResult(app.state.host, migrations, notes)
    if not behind:
        await _start_and_stop(app, failed)
        return CheckResult(app.state.host, migrations, notes)
    await _release(app)
    sources = [record.source for record in app.state.host.records.values()]
    async with sandbox_database(settings) as url:
        copy = settings.model_copy(
            update={"database_url": url, "database_replica_urls": [], "auto_migrate": True, "strict_plugins": False}
        )
        sandbox = create_app(copy, sources=sources)
        _fail_migrations(sandbox.state.host, failed)
        try:
            await sandbox.state.migrator.upgrade()
        except BaseException:
            await _release(sandbox)
            raise
        await _start_and_stop(sandbox, failed)
    where = "a copy of the database file" if settings.is_sqlite else "a scratch database on the same server"
    notes.append(f"startup and shutdown ran on {where}, with every migration applied")
    return CheckResult(sandbox.state.host, migrations, notes)


def _notes(settings: Settings, behind: list[str]) -> list[str]:
    if not behind:
        return []
    if settings.migrate_on_startup:
        return [f"the server will apply the pending migrations of {', '.join(behind)} when it starts"]
    return [
        f"the schema is behind for {', '.join(behind)}: the server refuses to start until "
        "`modular-server db upgrade` runs (or MODULAR_SERVER_AUTO_MIGRATE=true)"
    ]


def _fail_migrations(host: Any, failed: dict[str, str]) -> None:
    for name, error in failed.items():
        record = host.records.get(name)
        if record is not None and record.state.serving:
            record.fail(
                PluginState.SETUP_FAILED,
                f"migration failed: {error}",
                f"fix the plugin's migrations in {record.migrations}",
            )


async def _start_and_stop(app: FastAPI, failed: dict[str, str]) -> None:
    _fail_migrations(app.state.host, failed)
    try:
        await app.state.host.start(app)
        await app.state.host.stop(app)
    finally:
        await _release(app)


async def _release(app: FastAPI) -> None:
    await app.state.db.dispose()
    if app.state.redis is not None:
        await app.state.redis.aclose()


async def _rehearse_migrations(engine: Any, found: list[History]) -> list[MigrationCheck]:
    checks: list[MigrationCheck] = []
    async with engine.connect() as conn:
        outer = await conn.begin()
        try:
            for history in found:
                checks.append(await _rehearse_one(conn, history))
        finally:
            await outer.rollback()
    return checks


async def _rehearse_one(conn: AsyncConnection, history: History) -> MigrationCheck:
    current, pending = await conn.run_sync(_pending, history)
    check = MigrationCheck(history.name, current, tuple(sorted(history.heads())), pending)
    if not pending:
        return check
    savepoint = await conn.begin_nested()
    try:
        await conn.run_sync(lambda sync: command.upgrade(history.config(sync), "heads"))
    except Exception as exc:  # a plugin's migration is third-party code: report, go on
        check.error = f"{type(exc).__name__}: {exc}".strip()
        await savepoint.rollback()
    else:
        await savepoint.commit()
    return check


def _pending(sync: Connection, history: History) -> tuple[tuple[str, ...], tuple[str, ...]]:
    context = MigrationContext.configure(sync, opts={"version_table": history.version_table})
    current = tuple(sorted(context.get_current_heads()))
    script = ScriptDirectory.from_config(history.config())
    lower = current or "base"
    pending = [rev.revision for rev in script.iterate_revisions("heads", lower)]
    return current, tuple(reversed(pending))
