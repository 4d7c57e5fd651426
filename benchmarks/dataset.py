"""The benchmark's databases: a pristine dataset built once per scale with the product's own
``demo-data`` command, and per run two copies of it — one for the product (with every index
its migrations create) and one for the baseline without the secondary indexes.

PostgreSQL when ``MODULAR_SERVER_DATABASE_URL`` names a PostgreSQL server (the benchmark
creates databases of its own on that server and never touches the named one), else SQLite
files under ``benchmarks/data/``.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import URL, make_url

if TYPE_CHECKING:
    import asyncpg

DATA_DIR = Path(__file__).parent / "data"
DATABASE_URL_ENV = "MODULAR_SERVER_DATABASE_URL"
# the inventory tables the benchmark reads; their non-unique indexes are what the baseline lacks
INVENTORY_TABLES = (
    "einheit",
    "artikel",
    "charge",
    "charge_herkunft",
    "lager",
    "lagerort",
    "lagerbewegung",
    "bestand",
    "lager_chargen_reservierung",
)


@dataclass(frozen=True)
class Databases:
    backend: str  # "postgresql" or "sqlite"
    pristine: str
    product: str
    baseline: str


def databases_for(scale: int, environ: dict[str, str] | None = None) -> Databases:
    configured = (environ if environ is not None else os.environ).get(DATABASE_URL_ENV, "")
    if configured.startswith("postgresql"):
        server = make_url(configured)
        name = f"modular_bench_s{scale}"
        return Databases(
            "postgresql",
            _render(server.set(database=name)),
            _render(server.set(database=f"{name}_product")),
            _render(server.set(database=f"{name}_baseline")),
        )
    stem = DATA_DIR / f"scale-{scale}"
    return Databases(
        "sqlite",
        f"sqlite+aiosqlite:///{stem}.db",
        f"sqlite+aiosqlite:///{stem}-product.db",
        f"sqlite+aiosqlite:///{stem}-baseline.db",
    )


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def modular_server(database_url: str, *args: str, capture: bool = False) -> str:
    """Run a ``modular-server`` subcommand against ``database_url``."""
    env = {**os.environ, DATABASE_URL_ENV: database_url, "MODULAR_SERVER_AUTO_MIGRATE": "false"}
    done = subprocess.run(
        [sys.executable, "-m", "modular_server", *args],
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return done.stdout or ""


def ensure_pristine(databases: Databases, scale: int) -> None:
    """Build the dataset once: migrate, then ``demo-data --if-empty`` (a no-op when present)."""
    if databases.backend == "postgresql":
        asyncio.run(_create_postgres_database(databases.pristine))
    else:
        DATA_DIR.mkdir(exist_ok=True)
    modular_server(databases.pristine, "db", "upgrade")
    modular_server(databases.pristine, "demo-data", "--scale", str(scale), "--if-empty")
    analyze(databases.pristine)  # the copies inherit the statistics


def fresh_database(database_url: str, scale: int, *, key_name: str) -> str:
    """A dedicated PostgreSQL database DROPPED and built afresh: migrated, the demo dataset of
    ``scale``, planner statistics and an admin key named ``key_name``; returns the key."""
    asyncio.run(_recreate_postgres_database(database_url))
    modular_server(database_url, "db", "upgrade")
    modular_server(database_url, "demo-data", "--scale", str(scale))
    analyze(database_url)
    output = modular_server(
        database_url, "keys", "create", "--name", key_name, "--scope", "admin", "--replace", "--quiet", capture=True
    )
    return output.split()[-1]


def analyze(database_url: str) -> None:
    """Planner statistics for freshly bulk-loaded tables. Autovacuum would add them minutes
    later; without them PostgreSQL picks plans no production database would use."""
    if make_url(database_url).get_backend_name() == "postgresql":
        asyncio.run(_analyze_postgres(database_url))
        return
    connection = sqlite3.connect(sqlite_path(database_url))
    try:
        connection.execute("ANALYZE")
    finally:
        connection.close()


def copy_for_run(databases: Databases) -> None:
    """Fresh copies of the pristine dataset for this run, so every run starts alike."""
    if databases.backend == "postgresql":
        asyncio.run(_postgres_copies(databases))
    else:
        for target in (databases.product, databases.baseline):
            _sqlite_copy(sqlite_path(databases.pristine), sqlite_path(target))
        _sqlite_drop_secondary_indexes(sqlite_path(databases.baseline))


def sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    assert database, database_url
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)  # a consistent copy even of a database in WAL mode
    finally:
        src.close()
        dst.close()


def secondary_indexes_sqlite(connection: sqlite3.Connection) -> list[str]:
    """Non-unique indexes of the inventory tables (unique ones are constraints: kept)."""
    names = []
    for table in INVENTORY_TABLES:
        for _seq, name, unique, origin, _partial in connection.execute(f"PRAGMA index_list('{table}')"):
            if not unique and origin == "c":
                names.append(name)
    return sorted(names)


def _sqlite_drop_secondary_indexes(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        for name in secondary_indexes_sqlite(connection):
            connection.execute(f'DROP INDEX "{name}"')
        connection.commit()
        connection.execute("VACUUM")
        connection.execute("ANALYZE")
    finally:
        connection.close()


SECONDARY_INDEXES_POSTGRES = """
SELECT c.relname FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public' AND NOT i.indisunique AND NOT i.indisprimary AND t.relname = ANY($1::text[])
ORDER BY c.relname
"""


async def _connect_admin(database_url: str) -> asyncpg.Connection:
    import asyncpg

    url = make_url(database_url)
    return await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, database="postgres"
    )


async def _create_postgres_database(database_url: str) -> None:
    admin = await _connect_admin(database_url)
    try:
        name = make_url(database_url).database
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _recreate_postgres_database(database_url: str) -> None:
    admin = await _connect_admin(database_url)
    name = make_url(database_url).database
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _analyze_postgres(database_url: str) -> None:
    import asyncpg

    url = make_url(database_url)
    connection = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database=url.database)
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def _postgres_copies(databases: Databases) -> None:
    import asyncpg

    pristine = make_url(databases.pristine).database
    admin = await _connect_admin(databases.pristine)
    try:
        for target in (databases.product, databases.baseline):
            name = make_url(target).database
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            # a template copy is a file-level copy: data, statistics and indexes alike
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pristine}"')
    finally:
        await admin.close()
    url = make_url(databases.baseline)
    baseline = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database=url.database)
    try:
        for name in await baseline.fetch(SECONDARY_INDEXES_POSTGRES, list(INVENTORY_TABLES)):
            await baseline.execute(f'DROP INDEX "{name["relname"]}"')
        await baseline.execute("ANALYZE")
    finally:
        await baseline.close()


async def _drop_postgres_database(database_url: str) -> None:
    admin = await _connect_admin(database_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{make_url(database_url).database}" WITH (FORCE)')
    finally:
        await admin.close()


def remove_run_copies(databases: Databases) -> None:
    """Drop the per-run copies (the pristine dataset stays for the next run)."""
    if databases.backend == "postgresql":
        for target in (databases.product, databases.baseline):
            asyncio.run(_drop_postgres_database(target))
    else:
        for target in (databases.product, databases.baseline):
            for suffix in ("", "-wal", "-shm"):
                Path(str(sqlite_path(target)) + suffix).unlink(missing_ok=True)
