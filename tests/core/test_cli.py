"""The `modular-server` command, run as a subprocess against a temporary database."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from modular_server.settings import Settings
from modular_server.testing import BOTH
from modular_server.testing.harness import running_app
from tests.core.cli import clean_environment, run

ONLY_HELLO = '["hello"]'


def test_module_entry_point_prints_help(database_url, tmp_path):
    result = run(["--help"], clean_environment(database_url), tmp_path, module=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: modular-server")
    for command in ("serve", "plugins", "db", "keys"):
        assert command in result.stdout


def test_plugins_json_and_check_exit_codes(database_url, tmp_path):
    env = clean_environment(database_url, plugins__enabled=ONLY_HELLO)
    listed = run(["plugins", "--json", "--check"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    report = {item["name"]: item for item in json.loads(listed.stdout)["items"]}
    assert report["hello"]["state"] == "active"
    assert report["hello"]["origin"] == "modular-server-hello: hello_plugin"
    assert {item["state"] for name, item in report.items() if name != "hello"} == {"disabled"}

    broken = clean_environment(database_url, plugins__enabled=ONLY_HELLO, hello__greeting='["not", "a", "string"]')
    checked = run(["plugins", "--check"], broken, tmp_path)
    assert checked.returncode == 1
    assert "invalid_config" in checked.stdout and "hello" in checked.stdout
    assert run(["plugins"], broken, tmp_path).returncode == 0, "without --check the report is informational"


def test_plugins_graph_explains_the_load_order(database_url, tmp_path):
    result = run(["plugins", "graph"], clean_environment(database_url), tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [int(line.split(".")[0]) for line in lines] == list(range(1, len(lines) + 1))
    assert any(re.search(r"\bhello \(active\) - no requirements$", line) for line in lines)
    names = [line.split()[1] for line in lines]
    assert names.index("lager") > names.index("chargen")
    assert re.search(r"lager \(\w+\) - after .*chargen", result.stdout)


def test_strict_mode_makes_other_commands_fail(database_url, tmp_path):
    env = clean_environment(database_url, plugins__enabled=ONLY_HELLO, hello__greeting="[1]", strict_plugins="true")
    result = run(["db", "current"], env, tmp_path)
    assert result.returncode == 2
    assert "strict_plugins" in result.stderr and "hello: invalid_config" in result.stderr


@pytest.mark.parametrize("backend", BOTH, indirect=True)
def test_db_upgrade_current_and_check(database_url, tmp_path, backend):
    env = clean_environment(database_url)
    upgraded = run(["db", "upgrade"], env, tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    current = run(["db", "current"], env, tmp_path)
    assert current.returncode == 0, current.stderr
    rows = {line.split()[0]: line for line in current.stdout.splitlines()}
    assert rows["core"].split()[1] == "core_0003" and rows["core"].endswith("up to date")
    assert all(line.endswith("up to date") for line in rows.values()), current.stdout

    clean = run(["db", "check"], env, tmp_path)
    assert (clean.returncode, clean.stdout.strip()) == (0, "schema matches the models")

    _drop_index(database_url, "ix_audit_log_at")
    drift = run(["db", "check"], env, tmp_path)
    assert drift.returncode == 1
    assert drift.stdout.strip() == (
        "drift core: audit_log: index ix_audit_log_at on (at) in the models, missing in the database"
    )


def _drop_index(database_url: str, index: str) -> None:
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    async def drop() -> None:
        engine = create_async_engine(database_url)
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP INDEX {index}"))
        await engine.dispose()

    asyncio.run(drop())


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_keys_create_list_revoke_through_the_cli(database_url, tmp_path):
    env = clean_environment(database_url, plugins__enabled="[]", auto_migrate="true")
    created = run(["keys", "create", "--name", "ci-bot", "--scope", "write", "--quiet"], env, tmp_path)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    # the secret is URL-safe base64 and may itself contain "_": take it whole after the prefix
    parsed = re.fullmatch(r"msk_(?P<prefix>[0-9a-f]{12})_(?P<secret>[\w-]{43})", token)
    assert parsed is not None, token

    listed = run(["keys", "list"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "ci-bot" in listed.stdout and "write" in listed.stdout and parsed["secret"] not in listed.stdout

    settings = Settings(database_url=database_url, plugins={"enabled": []}, api_key_cache_seconds=0)
    async with running_app(settings, sources=[]) as running:
        as_ci = {"Authorization": f"Bearer {token}"}
        assert (await running.anonymous.get("/api/v1/no-such-route", headers=as_ci)).status_code == 404

        revoked = run(["keys", "revoke", "ci-bot"], env, tmp_path)
        assert revoked.returncode == 0, revoked.stderr
        assert (await running.anonymous.get("/api/v1/no-such-route", headers=as_ci)).status_code == 401
        keys = {k["name"]: k for k in (await running.client.get("/api/v1/system/keys")).json()["items"]}
        assert keys["ci-bot"]["revoked"] is True

    again = run(["keys", "revoke", "ci-bot"], env, tmp_path)
    assert again.returncode == 1 and "ci-bot" in again.stderr
