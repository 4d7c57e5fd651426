"""A throwaway database with the operator's schema, for rehearsing a start-up.

SQLite: a consistent copy of the database file (the backup API; an absent file gives an empty
database). PostgreSQL: a scratch database on the same server, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from modular_server.cli.output import CliError
from modular_server.settings import Settings


@asynccontextmanager
async def sandbox_database(settings: Settings) -> AsyncIterator[str]:
    """The URL of a database nobody else uses; removed at exit."""
    url = make_url(settings.database_url)
    if settings.is_sqlite:
        with tempfile.TemporaryDirectory(prefix="modular-server-check-") as folder:
            copy = Path(folder) / "check.db"
            await asyncio.to_thread(_copy_sqlite, url.database, copy)
            yield url.set(database=str(copy)).render_as_string(hide_password=False)
        return
    async with _scratch_postgres(url) as scratch:
        yield scratch


def _copy_sqlite(source: str | None, target: Path) -> None:
    if not source or source == ":memory:" or not Path(source).exists():
        return  # the server would start on an empty database: so does the rehearsal
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


@asynccontextmanager
async def _scratch_postgres(url: URL) -> AsyncIterator[str]:
    import asyncpg  # the `postgres` extra; a PostgreSQL URL cannot work without it

    name = f"{url.database}_check_{uuid.uuid4().hex[:8]}"
    connect = {"host": url.host, "port": url.port, "user": url.username, "password": url.password}
    try:
        admin = await asyncpg.connect(database="postgres", **connect)
    except asyncpg.PostgresError as exc:
        raise _no_scratch(exc) from exc
    try:
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        except asyncpg.PostgresError as exc:
            raise _no_scratch(exc) from exc
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _no_scratch(exc: Exception) -> CliError:
    return CliError(
        f"migrations are pending, and startup needs a scratch database to run on: {exc}; "
        "grant the user CREATEDB, or run `modular-server db upgrade` before the check"
    )
