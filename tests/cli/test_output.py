"""Plugin text printed literally at any width; `--json` in the shape the API answers."""

from __future__ import annotations

import json

from modular_server.settings import Settings
from modular_server.testing import running_app, sources_with
from tests.cli.support import environment, install
from tests.core.cli import clean_environment, run


def test_reasons_and_hints_print_literally_and_in_full_when_piped(database_url, tmp_path):
    names = ["fixture_import_markup", "fixture_needs_extra", "fixture_ok"]
    env = environment(database_url, install(tmp_path / "site", names), names)
    result = run(["plugins"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "MarkupError" not in result.stderr
    # each reason and hint on one line, whole, brackets included (piped: no 80-column cut)
    assert "RuntimeError: config missing: [/etc/x.toml] and [bold]not bold[/bold]" in result.stdout
    assert 'fix: pip install "modular-server[fancy]"' in result.stdout
    assert "missing packages: ms-cli-not-installed-xyz" in result.stdout
    assert "fix the import error in ms-cli-fixtures: ms_cli_fixtures.import_markup" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) > 80


async def test_plugins_json_is_the_shape_of_the_system_api(database_url, tmp_path):
    env = clean_environment(database_url, plugins__enabled='["hello"]')
    listed = run(["plugins", "--json"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    cli = json.loads(listed.stdout)

    settings = Settings(database_url=database_url, plugins={"enabled": ["hello"]}, auto_migrate=True)
    async with running_app(settings, sources_with()) as running:
        api = (await running.client.get("/api/v1/system/plugins")).json()

    assert set(cli) == set(api) == {"items", "order"}
    assert cli["order"] == api["order"]

    def without_timings(items: list[dict]) -> list[dict]:
        return [{k: v for k, v in item.items() if k != "timings_ms"} for item in items]

    # the API's app has started (startup timings); otherwise the records are the same
    assert without_timings(cli["items"]) == without_timings(api["items"])

    only = json.loads(run(["plugins", "list", "hello", "--json"], env, tmp_path).stdout)
    assert [item["name"] for item in only["items"]] == ["hello"]


def test_db_status_and_check_speak_json(database_url, tmp_path):
    env = clean_environment(database_url, plugins__enabled="[]")
    before = json.loads(run(["db", "status", "--json"], env, tmp_path).stdout)
    assert before == {"histories": [{"name": "core", "current": [], "heads": ["core_0003"], "up_to_date": False}]}

    drift = run(["db", "check", "--json"], env, tmp_path)
    assert drift.returncode == 1
    found = json.loads(drift.stdout)
    assert found["ok"] is False
    api_key = next(d for d in found["drift"] if d["table"] == "api_key")
    assert api_key == {
        "history": "core",
        "kind": "add_table",
        "table": "api_key",
        "column": None,
        "name": None,
        "detail": "table in the models, missing in the database",
        "text": "api_key: table in the models, missing in the database",
    }

    upgraded = run(["db", "upgrade", "--json"], env, tmp_path)
    assert json.loads(upgraded.stdout)["histories"][0]["up_to_date"] is True
    assert json.loads(run(["db", "check", "--json"], env, tmp_path).stdout) == {"ok": True, "drift": []}
    assert run(["db", "current"], env, tmp_path).stdout.split()[:2] == ["core", "core_0003"]
