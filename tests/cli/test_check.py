"""`plugins --check` runs what the server runs - migrations, startup, shutdown - and changes
nothing in the configured database."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from modular_server.testing import BOTH
from tests.cli.support import environment, install
from tests.core.cli import run


async def _tables(database_url: str) -> set[str]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_startup_that_raises_or_overruns_fails_the_check(database_url, tmp_path):
    names = ["fixture_ok", "fixture_startup_raises", "fixture_startup_slow"]
    env = environment(database_url, install(tmp_path / "site", names), names, startup_timeout_seconds="0.5")

    listed = run(["plugins", "--json"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    states = {item["name"]: item["state"] for item in json.loads(listed.stdout)["items"]}
    # without --check nothing is started: every plugin loads
    assert {states[n] for n in names} == {"active"}

    checked = run(["plugins", "--check", "--json"], env, tmp_path)
    assert checked.returncode == 1, checked.stderr
    report = json.loads(checked.stdout)
    items = {item["name"]: item for item in report["items"]}
    assert items["fixture_ok"]["state"] == "active"
    assert items["fixture_startup_raises"]["state"] == "setup_failed"
    assert items["fixture_startup_raises"]["reason"] == "startup failed: RuntimeError: cannot read [/etc/x.toml]"
    assert items["fixture_startup_slow"]["state"] == "setup_failed"
    assert "startup did not finish within 0.5s" in items["fixture_startup_slow"]["reason"]
    assert report["ok"] is False
    assert [m["history"] for m in report["migrations"]] == ["core"]
    assert report["migrations"][0]["pending"] == ["core_0001", "core_0002", "core_0003"]
    assert report["migrations"][0]["ok"] is True

    as_text = run(["plugins", "--check"], env, tmp_path)
    assert as_text.returncode == 1
    assert "check failed: not active: fixture_startup_raises, fixture_startup_slow" in as_text.stdout
    assert "cannot read [/etc/x.toml]" in as_text.stdout
    # the operator's database is untouched: the migrations ran in a transaction rolled back
    assert not {t for t in await _tables(database_url) if not t.startswith("sqlite_")}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_failing_migration_fails_the_check_and_the_others_are_rolled_back(database_url, tmp_path):
    names = ["fixture_ok", "fixture_bad_migration"]
    env = environment(database_url, install(tmp_path / "site", names), names)

    checked = run(["plugins", "check", "--json"], env, tmp_path)
    assert checked.returncode == 1, checked.stderr
    report = json.loads(checked.stdout)
    migrations = {m["history"]: m for m in report["migrations"]}
    assert migrations["core"]["ok"] is True
    assert migrations["fixture_bad_migration"]["pending"] == ["fixture_bad_migration_0001"]
    assert "no_such_table" in migrations["fixture_bad_migration"]["error"]
    items = {item["name"]: item for item in report["items"]}
    assert items["fixture_bad_migration"]["state"] == "setup_failed"
    assert items["fixture_bad_migration"]["reason"].startswith("migration failed: ")
    assert items["fixture_ok"]["state"] == "active"
    assert not {t for t in await _tables(database_url) if not t.startswith("sqlite_")}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
def test_the_check_passes_on_a_current_schema_and_is_the_ci_step(database_url, tmp_path):
    names = ["fixture_ok"]
    env = environment(database_url, install(tmp_path / "site", names), names)
    assert run(["db", "upgrade"], env, tmp_path).returncode == 0

    checked = run(["plugins", "--check"], env, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "check passed: every enabled plugin would be active" in checked.stdout
    assert "rolled back" not in checked.stdout and "note" not in checked.stdout, "nothing was pending"
    report = json.loads(run(["plugins", "--check", "--json"], env, tmp_path).stdout)
    assert report["ok"] is True and report["notes"] == []
    assert all(m["pending"] == [] and m["ok"] for m in report["migrations"])


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_without_createdb_the_check_says_what_to_do(database_url, tmp_path):
    role = f"ms_nocreatedb_{uuid.uuid4().hex[:8]}"
    url = make_url(database_url)
    await _execute(database_url, f'CREATE ROLE "{role}" LOGIN NOCREATEDB', f'GRANT ALL ON SCHEMA public TO "{role}"')
    try:
        as_role = url.set(username=role, password=None).render_as_string(hide_password=False)
        names = ["fixture_ok"]
        env = environment(as_role, install(tmp_path / "site", names), names)
        checked = run(["plugins", "--check"], env, tmp_path)
        assert checked.returncode == 2, checked.stdout + checked.stderr
        assert "Traceback" not in checked.stderr
        assert (
            checked.stderr.strip()
            .splitlines()[-1]
            .startswith("error: migrations are pending, and startup needs a scratch database to run on: ")
        )
        assert "grant the user CREATEDB, or run `modular-server db upgrade` before the check" in checked.stderr
    finally:
        await _execute(database_url, f'DROP OWNED BY "{role}"', f'DROP ROLE "{role}"')


async def _execute(database_url: str, *statements: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()
