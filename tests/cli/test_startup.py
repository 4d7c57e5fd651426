"""A command imports only what it needs, and command-line work never
shows up in the server's monitoring figures.

Speed is not asserted (no wall-clock in tests): what is asserted is the set of modules a
command leaves unimported, which is where its start-up time went (scikit-learn, every
plugin's routes and schemas, the web app).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.cli import clean_environment, run

FIRST_PARTY = ["artikel", "chargen", "lager", "reservierungen", "cache", "monitoring", "notifications", "anomaly"]
#: runs the CLI in-process and reports the modules it imported on the last line of stderr
PROBE = """
import json, sys
from modular_server.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def _imported(args: list[str], env: dict[str, str], cwd: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stderr
    return set(report["modules"])


def _env(database_url: str) -> dict[str, str]:
    # the first-party plugins only: the test venv also holds fixture plugins without manifests
    return clean_environment(database_url, plugins__enabled=json.dumps(FIRST_PARTY))


def _routes_of_plugins(modules: set[str]) -> set[str]:
    return {m for m in modules if m.startswith("modular_server.plugins.") and m.endswith((".routes", ".schemas"))}


def test_help_imports_no_plugin_and_no_web_framework(database_url, tmp_path):
    modules = _imported(["--help"], _env(database_url), tmp_path)
    heavy = {"fastapi", "starlette", "sqlalchemy", "alembic", "uvicorn", "sklearn", "rich"}
    assert not heavy & {m.split(".")[0] for m in modules}
    # the plugins package is located (to read the manifests), no plugin is imported
    assert not {m for m in modules if m.startswith("modular_server.plugins.")}
    assert "modular_server.core.app" not in modules


def test_help_still_lists_every_plugin_command(database_url, tmp_path):
    helped = run(["--help"], _env(database_url), tmp_path)
    assert helped.returncode == 0, helped.stderr
    for command in ("demo-data", "lager", "chargen-ablauf", "notifications-check"):
        assert command in helped.stdout
    # a disabled plugin's commands are not offered
    env = clean_environment(
        database_url, plugins__disabled='["notifications"]', plugins__enabled=json.dumps(FIRST_PARTY)
    )
    assert "notifications-check" not in run(["--help"], env, tmp_path).stdout


@pytest.mark.parametrize(
    "args", [["plugins"], ["plugins", "graph"], ["db", "current"], ["keys", "create", "ops", "--replace", "--quiet"]]
)
def test_everyday_commands_import_neither_scikit_learn_nor_routes_nor_the_web_framework(database_url, tmp_path, args):
    env = _env(database_url)
    assert run(["db", "upgrade"], env, tmp_path).returncode == 0
    modules = _imported(args, env, tmp_path)
    assert not {m for m in modules if m.split(".")[0] in ("sklearn", "joblib", "uvicorn")}
    assert _routes_of_plugins(modules) == set()
    # none of them serves a request: no web framework (the data layer is built without one)
    assert not {m.split(".")[0] for m in modules} & {"fastapi", "starlette"}
    assert "modular_server.core.app" not in modules
    if args[0] == "plugins":
        assert "alembic" not in modules
        # the plugins read the public API lazily: listing them needs no engine
        assert not {m.split(".")[0] for m in modules} & {"aiosqlite", "asyncpg"}
        assert "modular_server.core.database" not in modules


#: what each command must leave unimported beyond the above: modules only other actions need
NOT_NEEDED = {
    # `db` looks a plugin up (cli.plugins) only for `db revision`
    ("db", "current"): ("modular_server.cli.plugins", "modular_server.authoring", "rich.table"),
    # create prints one line: the table of `keys list` is not drawn
    ("keys", "create", "ops", "--replace"): ("rich.table", "modular_server.settings.errors"),
    # JSON for machines: nothing of rich, and no explanation of settings that are valid
    ("plugins", "--json"): ("rich", "modular_server.settings.errors"),
}


@pytest.mark.parametrize("args", list(NOT_NEEDED), ids=" ".join)
def test_a_command_leaves_what_only_other_actions_need_unimported(database_url, tmp_path, args):
    env = _env(database_url)
    assert run(["db", "upgrade"], env, tmp_path).returncode == 0
    modules = _imported(list(args), env, tmp_path)
    assert not {m for m in modules if m.startswith(NOT_NEEDED[args])}


def test_help_loads_the_explanation_of_settings_only_for_a_bad_one(database_url, tmp_path):
    assert "modular_server.settings.errors" not in _imported(["--help"], _env(database_url), tmp_path)


#: imports the public API and every first-party plugin package as the kernel does, then reports
#: the heavy packages that came with them
PLUGIN_IMPORT_PROBE = """
import importlib, json, sys
import modular_server.plugin
for name in sys.argv[1:]:
    importlib.import_module(f"modular_server.plugins.{name}")
heavy = ("fastapi", "starlette", "sqlalchemy", "pydantic_settings", "sklearn", "joblib")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
"""


def test_the_public_api_and_the_plugin_packages_import_no_heavy_dependency(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", PLUGIN_IMPORT_PROBE, *FIRST_PARTY],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_a_plugin_command_runs_with_the_plugins_loaded(database_url, tmp_path):
    env = _env(database_url)
    assert run(["db", "upgrade"], env, tmp_path).returncode == 0
    verified = run(["lager", "verify"], env, tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert "every balance agrees with the ledger" in verified.stdout
    disabled = clean_environment(database_url, plugins__disabled='["lager"]', plugins__enabled=json.dumps(FIRST_PARTY))
    refused = run(["lager", "verify"], disabled, tmp_path)
    assert refused.returncode == 2
    assert "invalid choice: 'lager'" in refused.stderr


def test_command_line_work_is_not_recorded_by_monitoring(tmp_path):
    database = tmp_path / "ops.db"
    # every statement counts as slow: without the fix each one was recorded and printed
    env = clean_environment(
        f"sqlite+aiosqlite:///{database}",
        plugins__enabled=json.dumps(FIRST_PARTY),
        monitoring__slow_query_ms="0",
        log_level="warning",
    )
    assert run(["db", "upgrade"], env, tmp_path).returncode == 0
    for args in (["lager", "verify"], ["keys", "create", "ops", "--replace", "--quiet"], ["notifications-check"]):
        done = run(args, env, tmp_path)
        assert done.returncode == 0, done.stderr
        assert "slow query" not in done.stderr
    with sqlite3.connect(database) as conn:
        for table in ("monitoring_route_window", "monitoring_slow_query", "monitoring_n_plus_one"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table


SERVER_PROBE = """
import asyncio, sys
from modular_server.core.app import create_app
from modular_server.settings import Settings

async def main() -> None:
    app = create_app(Settings())
    async with app.router.lifespan_context(app):
        state = app.state.host.records["anomaly"].state.value
    print(state, "sklearn" in sys.modules, "joblib" in sys.modules)

asyncio.run(main())
"""


def test_a_server_start_without_a_trained_model_does_not_load_scikit_learn(database_url, tmp_path):
    env = clean_environment(database_url, plugins__enabled=json.dumps(FIRST_PARTY), auto_migrate="true")
    done = subprocess.run(
        [sys.executable, "-c", SERVER_PROBE], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["active", "False", "False"]
