"""`plugins --check`: rehearse what the server does at start-up, without changing the database.

The server migrates (or refuses a schema that is behind), starts every plugin and stops them
again; so does the check, against the configured database:

* every history's pending migrations are applied inside one transaction that is rolled back
  (DDL is transactional on PostgreSQL and, with the explicit BEGIN the engine issues, on
  SQLite); each history runs in a savepoint, so one failing plugin leaves the others checked;
* a plugin whose migration fails is marked ``setup_failed``, as it would not serve;
* then ``startup`` and ``shutdown`` of every serving plugin run through the plugin host, with
  the server's deadline - a startup that raises or overruns is ``setup_failed``.
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

from modular_server.core.migrator import History, histories
from modular_server.core.states import PluginState


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
    migrations: list[MigrationCheck]
    #: what an operator should know but is not a plugin failure
    notes: list[str]


async def rehearse(app: FastAPI) -> CheckResult:
    """Migrations (rolled back), then each plugin's startup and shutdown."""
    host = app.state.host
    settings = app.state.settings
    notes: list[str] = []
    try:
        migrations = await _rehearse_migrations(app.state.db.engine, histories(host))
        for check in migrations:
            record = host.records.get(check.history)
            if check.error and record is not None and record.state.serving:
                record.fail(
                    PluginState.SETUP_FAILED,
                    f"migration failed: {check.error}",
                    f"fix the plugin's migrations in {record.migrations}",
                )
        behind = [c.history for c in migrations if c.pending]
        if behind and not settings.migrate_on_startup:
            notes.append(
                f"the schema is behind for {', '.join(behind)}: the server refuses to start until "
                "`modular-server db upgrade` runs (or MODULAR_SERVER_AUTO_MIGRATE=true)"
            )
        elif behind:
            notes.append(f"the server will apply the pending migrations of {', '.join(behind)} when it starts")
        await host.start(app)
        await host.stop(app)
    finally:
        await app.state.db.dispose()
        if app.state.redis is not None:
            await app.state.redis.aclose()
    return CheckResult(migrations, notes)


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
