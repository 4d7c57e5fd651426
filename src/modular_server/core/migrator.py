"""Per-plugin Alembic histories: upgrade, current revision, drift check, new revisions.

The core and each plugin keep their own history and version table
(``alembic_version_<name>``), applied in dependency order. A disabled plugin's history and
tables are left untouched, so disabling never drops data and never breaks an upgrade.
"""

from __future__ import annotations

import asyncio
import logging
from argparse import Namespace
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from modular_server.core.database import Base, Database
from modular_server.core.states import PluginState

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CORE_VERSIONS = MIGRATIONS_DIR / "versions"
CORE_TABLES = ("api_key", "idempotency_record", "audit_log")
log = logging.getLogger("modular_server.migrations")


class MigrationRequired(RuntimeError):
    """The schema is behind the code and auto_migrate is off."""


@dataclass(frozen=True, slots=True)
class History:
    """One plugin's (or the core's) migration history."""

    name: str
    versions: Path
    tables: tuple[str, ...]

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name}"

    def config(self, connection: Connection | None = None) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.set_main_option("version_locations", str(self.versions))
        cfg.set_main_option("path_separator", "os")
        cfg.attributes.update(connection=connection, version_table=self.version_table, tables=set(self.tables))
        return cfg

    def heads(self) -> set[str]:
        return set(ScriptDirectory.from_config(self.config()).get_heads())


@dataclass(frozen=True, slots=True)
class HistoryStatus:
    name: str
    current: tuple[str, ...]
    heads: tuple[str, ...]

    @property
    def up_to_date(self) -> bool:
        return set(self.current) == set(self.heads)


def histories(host: Any) -> list[History]:
    """The core's history, then each serving plugin's, in dependency order."""
    found = [History("core", CORE_VERSIONS, CORE_TABLES)]
    for record in host.active():
        if record.migrations is not None:
            found.append(History(record.name, record.migrations, record.tables))
    return found


class Migrator:
    def __init__(self, db: Database, host: Any) -> None:
        self.db = db
        self.host = host

    async def upgrade(self, target: str = "heads", *, isolate_plugins: bool = False) -> list[HistoryStatus]:
        """Upgrade every history in dependency order.

        With ``isolate_plugins`` (the server's start) a plugin whose migration raises is taken
        out - ``setup_failed``, its prefixes answer 503, the plugins requiring it are skipped -
        and the others go on; the core's history failing stays fatal. Without it (``db
        upgrade``) any failure propagates.
        """
        for history in histories(self.host):
            if history.name != "core" and not self.host.is_serving(history.name):
                continue  # taken out by the failed migration of a plugin it requires
            try:
                async with self.db.engine.begin() as conn:
                    await conn.run_sync(lambda sync, h=history: command.upgrade(h.config(sync), target))
            except Exception as exc:
                if not isolate_plugins or history.name == "core":
                    raise
                log.error("migrations of plugin %s failed", history.name, exc_info=exc)
                self.host.fail(
                    history.name,
                    PluginState.SETUP_FAILED,
                    f"migration failed ({_revision_of(exc)}): {type(exc).__name__}: {exc}",
                    f"fix the revision in {history.versions} (its traceback is in the log), then restart",
                )
        return await self.status()

    async def status(self) -> list[HistoryStatus]:
        found = []
        for history in histories(self.host):
            async with self.db.engine.connect() as conn:
                current = await conn.run_sync(_current_heads, history.version_table)
            found.append(HistoryStatus(history.name, tuple(sorted(current)), tuple(sorted(history.heads()))))
        return found

    async def ensure_current(self, migrate: bool) -> None:
        """Upgrade (``migrate``) or refuse to start when any history is behind."""
        if migrate:
            await self.upgrade(isolate_plugins=True)
            return
        behind = [s.name for s in await self.status() if not s.up_to_date]
        if behind:
            raise MigrationRequired(
                f"the database schema is behind for: {', '.join(behind)}; run `modular-server db upgrade` "
                "(or set MODULAR_SERVER_AUTO_MIGRATE=true)"
            )

    async def drift(self) -> dict[str, list[Drift]]:
        """Differences between each history's models and the live schema (empty = clean)."""
        found: dict[str, list[Drift]] = {}
        for history in histories(self.host):
            async with self.db.engine.connect() as conn:
                diffs = await conn.run_sync(_compare, history.tables)
            if diffs:
                found[history.name] = diffs
        return found

    def revision(self, name: str, message: str, autogenerate: bool = True) -> Path | None:
        """Write a new revision into ``name``'s history (a sync call; used by the CLI)."""
        history = next((h for h in histories(self.host) if h.name == name), None)
        if history is None:
            raise KeyError(f"no migration history for plugin {name!r} (is it active, with migration_locations?)")
        first = not history.heads()
        cfg = history.config()
        # the caller reports the written file; Alembic's own "Generating ..." would mix into --json
        cfg.cmd_opts = Namespace(quiet=True)

        async def run() -> Any:
            async with self.db.engine.connect() as conn:

                def generate(sync: Connection) -> Any:
                    cfg.attributes["connection"] = sync
                    return command.revision(
                        cfg,
                        message=message,
                        autogenerate=autogenerate,
                        version_path=str(history.versions),
                        branch_label=name if first else None,
                        head="base" if first else f"{name}@head",
                        rev_id=f"{name}_{len(list(history.versions.glob('*.py'))) + 1:04d}",
                    )

                try:
                    return await conn.run_sync(generate)
                finally:
                    await self.db.dispose()

        script = asyncio.run(run())
        return Path(script.path) if script is not None else None


def _revision_of(exc: BaseException) -> str:
    """The revision whose ``upgrade`` raised ``exc``, from the traceback (the revision file's name)."""
    found = "revision unknown"
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals
        if "revision" in module and "upgrade" in module and isinstance(module["revision"], str):
            found = f"revision {module['revision']}"
        tb = tb.tb_next
    return found


def _current_heads(conn: Connection, version_table: str) -> set[str]:
    return set(MigrationContext.configure(conn, opts={"version_table": version_table}).get_current_heads())


def _compare(conn: Connection, tables: Iterable[str]) -> list[Drift]:
    owned = set(tables)

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table":
            return name in owned
        table = getattr(obj, "table", None)
        return table is None or table.name in owned

    context = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True})
    found: list[Drift] = []
    for diff in compare_metadata(context, Base.metadata):
        # modifications of one column come as a list of operations; each is its own drift
        for op in diff if isinstance(diff, list) else [diff]:
            found.append(_describe(op))
    return found


@dataclass(frozen=True, slots=True)
class Drift:
    """One difference between the models and the database, named for a person."""

    kind: str
    table: str
    column: str | None = None
    #: the index or constraint concerned
    name: str | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{where}: {self.detail}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "table": self.table,
            "column": self.column,
            "name": self.name,
            "detail": self.detail,
            "text": str(self),
        }


_WHERE = {"add": "in the models, missing in the database", "remove": "in the database, not in the models"}
_CONSTRAINT_KINDS = {
    "index": "index",
    "constraint": "unique constraint",
    "fk": "foreign key",
}


def _describe(diff: tuple[Any, ...]) -> Drift:
    kind, *rest = diff
    verb, _, what = kind.partition("_")
    if kind in ("add_table", "remove_table"):
        return Drift(kind, rest[0].name, detail=f"table {_WHERE[verb]}")
    if kind in ("add_column", "remove_column"):
        _schema, table, column = rest
        return Drift(kind, table, column.name, detail=f"column ({column.type!r}) {_WHERE[verb]}")
    if verb in ("add", "remove") and what in _CONSTRAINT_KINDS:
        constraint = rest[0]
        columns = ", ".join(c.name for c in constraint.columns) if hasattr(constraint, "columns") else ""
        label = _CONSTRAINT_KINDS[what]
        target = ""
        if what == "fk":
            target = f" -> {constraint.referred_table.name}"
        detail = f"{label} {constraint.name} on ({columns}){target} {_WHERE[verb]}"
        return Drift(kind, constraint.table.name, name=constraint.name, detail=detail)
    if kind.startswith("modify_"):
        _schema, table, column, _kw, existing, new = rest
        return Drift(kind, table, column, detail=f"{_modified(kind, existing, new)}")
    if kind in ("add_table_comment", "remove_table_comment"):
        return Drift(kind, rest[0].name, detail="table comment differs")
    return Drift(kind, "?", detail=f"{kind}: {rest!r}")


def _modified(kind: str, existing: Any, new: Any) -> str:
    if kind == "modify_type":
        return f"type {existing} in the database, {new!r} in the models"
    if kind == "modify_nullable":

        def nullable(value: Any) -> str:
            return "NULL allowed" if value else "NOT NULL"

        return f"{nullable(existing)} in the database, {nullable(new)} in the models"
    what = kind.removeprefix("modify_")
    return f"{what} {_text(existing)} in the database, {_text(new)} in the models"


def _text(value: Any) -> str:
    arg = getattr(value, "arg", value)  # a server default wraps its SQL text
    return repr(str(getattr(arg, "text", arg))) if arg is not None else "none"
