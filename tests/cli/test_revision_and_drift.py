"""`db revision` writes a migration that runs as generated; `db check` names each drift."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from modular_server.testing import BOTH
from tests.cli.support import environment, install
from tests.core.cli import run

STAMPED = ["fixture_stamped"]


async def _execute(database_url: str, *statements: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BOTH, indirect=True)
def test_a_generated_migration_imports_the_core_types_and_runs(database_url, tmp_path):
    site = install(tmp_path / "site", STAMPED)
    env = environment(database_url, site, STAMPED)

    written = run(["db", "revision", "--plugin", "fixture_stamped", "-m", "stamps", "--json"], env, tmp_path)
    assert written.returncode == 0, written.stderr
    [migration] = (site / "ms_cli_fixtures" / "stamped" / "versions").glob("*.py")
    assert json.loads(written.stdout) == {"history": "fixture_stamped", "path": str(migration)}
    assert migration.name == "fixture_stamped_0001_stamps.py"
    source = migration.read_text()
    assert "from modular_server.plugin import UtcDateTime" in source
    assert "UtcDateTime(timezone=True)" in source and "modular_server.core" not in source

    upgraded = run(["db", "upgrade"], env, tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "fixture_stamped  fixture_stamped_0001" in upgraded.stdout
    checked = run(["db", "check"], env, tmp_path)
    assert (checked.returncode, checked.stdout.strip()) == (0, "schema matches the models")


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_db_check_names_table_column_and_what_differs(database_url, tmp_path):
    site = install(tmp_path / "site", STAMPED)
    env = environment(database_url, site, STAMPED)
    assert run(["db", "revision", "--plugin", "fixture_stamped", "-m", "stamps"], env, tmp_path).returncode == 0
    assert run(["db", "upgrade"], env, tmp_path).returncode == 0
    await _execute(
        database_url,
        "DROP TABLE fixture_stamp",
        "CREATE TABLE fixture_stamp (id INTEGER PRIMARY KEY, name VARCHAR(100), legacy INTEGER)",
        "CREATE INDEX ix_fixture_stamp_legacy ON fixture_stamp (legacy)",
    )

    drift = run(["db", "check"], env, tmp_path)
    assert drift.returncode == 1
    lines = set(drift.stdout.splitlines())
    assert (
        "drift fixture_stamped: fixture_stamp.name: type VARCHAR(100) in the database, String(length=200) in the models"
        in lines
    )
    assert "drift fixture_stamped: fixture_stamp.name: NULL allowed in the database, NOT NULL in the models" in lines
    assert (
        "drift fixture_stamped: fixture_stamp.seen_at: column (UtcDateTime(timezone=True)) in the models, "
        "missing in the database" in lines
    )
    assert "drift fixture_stamped: fixture_stamp.legacy: column (INTEGER()) in the database, not in the models" in lines
    assert (
        "drift fixture_stamped: fixture_stamp: index ix_fixture_stamp_legacy on (legacy) in the database, "
        "not in the models" in lines
    )
    assert "None" not in drift.stdout
