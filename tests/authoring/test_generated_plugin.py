"""A freshly generated plugin, untouched: it passes its own tests (with no pytest configuration
of its own), is ``active`` in ``modular-server plugins``, passes ``plugins --check`` and serves
in an app.

Nothing is installed: each check runs in a fresh interpreter that finds the package on its
``PYTHONPATH``, with the entry points its ``pyproject.toml`` declares (see
:func:`tests.authoring.support.loadable`), so the rest of the suite never discovers it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from modular_server.authoring import generate_plugin
from modular_server.testing.harness import in_ci
from tests.authoring.support import loadable, run_pytest
from tests.core.cli import CONSOLE_SCRIPT, clean_environment

pytestmark = pytest.mark.slow

NAME = "kit_probe"
DISTRIBUTION = "modular-server-kit-probe"

# Runs in a fresh interpreter: only a process started with the PYTHONPATH of `loadable` finds the plugin.
SERVE = """
import asyncio, json, sys
from modular_server.settings import Settings
from modular_server.testing import running_app, sources_with

async def main(name):
    async with running_app(Settings(), sources_with(only=[name])) as running:
        items = f"/api/v1/{name}/items"
        created = await running.client.post(items, json={"name": "erster"}, headers={"Idempotency-Key": "k1"})
        replayed = await running.client.post(items, json={"name": "erster"}, headers={"Idempotency-Key": "k1"})
        duplicate = await running.client.post(items, json={"name": "erster"})
        listed = await running.client.get(items, params={"limit": 1})
        ready = await running.client.get("/health/ready")
        record = running.app.state.host.records[name]
        print(json.dumps({
            "state": record.state.value,
            "origin": record.source.origin,
            "tables": list(record.tables),
            "created": [created.status_code, created.json()],
            "replayed": [replayed.status_code, replayed.json()],
            "duplicate": [duplicate.status_code, duplicate.headers["content-type"], duplicate.json()["type"]],
            "listed": listed.json(),
            "check": ready.json()["checks"][f"{name}.items"],
            "drift": await running.app.state.migrator.drift(),
        }))

asyncio.run(main(sys.argv[1]))
"""


@dataclass(frozen=True, slots=True)
class Generated:
    project: Path
    #: the PYTHONPATH under which a fresh interpreter loads the plugin
    pythonpath: str


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """The generated package, loadable by a subprocess the way pip would install it."""
    root = tmp_path_factory.mktemp("generated")
    project = root / DISTRIBUTION
    generate_plugin(NAME, project)
    return Generated(project, loadable(project, root / "site"))


def _environment(generated: Generated, database_url: str, **settings: str) -> dict[str, str]:
    return {**clean_environment(database_url, **settings), "PYTHONPATH": generated.pythonpath}


def test_its_own_tests_pass_without_any_pytest_configuration(generated):
    project = generated.project
    assert not any(project.glob("conftest.py")) and not any(project.glob("*.ini"))
    result = run_pytest(project, "-q", pythonpath=generated.pythonpath)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert "failed" not in summary and "error" not in summary, summary
    # 9 behaviours on SQLite and PostgreSQL; without CI=true an unreachable PostgreSQL skips its half
    assert "18 passed" in summary or (not in_ci() and "9 passed, 9 skipped" in summary), summary


def test_it_serves_in_an_app(generated, database_url, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SERVE, NAME],
        env=_environment(generated, database_url, auto_migrate="true"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["state"] == "active"
    assert seen["origin"] == f"{DISTRIBUTION}: {NAME}"
    assert seen["tables"] == [f"{NAME}_item"]
    assert seen["created"][0] == 201 and seen["created"][1]["name"] == "erster"
    assert seen["replayed"] == seen["created"]
    assert seen["duplicate"] == [409, "application/problem+json", "urn:modular-server:problem:duplicate"]
    assert [item["name"] for item in seen["listed"]["items"]] == ["erster"]
    assert seen["check"] == {"status": "ok", "detail": f"{NAME}: 1 items, api token not set"}
    # the shipped migration creates exactly what the model declares
    assert NAME not in seen["drift"]


def test_modular_server_plugins_lists_it_active(generated, database_url, tmp_path):
    env = _environment(generated, database_url, auto_migrate="true")
    listed = subprocess.run(
        [str(CONSOLE_SCRIPT), "plugins", "--json"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    items = report["items"] if isinstance(report, dict) else report
    states = {item["name"]: item["state"] for item in items}
    assert states[NAME] == "active"
    # the CI step of a plugin team (docs/plugins/tutorial.md): migrate, then check
    only_this = _environment(generated, database_url, plugins__enabled=json.dumps([NAME]))
    for command in (["db", "upgrade"], ["plugins", "--check"]):
        checked = subprocess.run(
            [str(CONSOLE_SCRIPT), *command], env=only_this, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
    assert NAME in checked.stdout


def test_its_manifest_is_read_without_importing_it(generated, database_url, tmp_path):
    # disabled: never imported, yet known from its plugin.toml (version, description)
    env = _environment(generated, database_url, plugins__disabled=json.dumps([NAME]))
    listed = subprocess.run(
        [str(CONSOLE_SCRIPT), "plugins", "--json"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    record = next(item for item in report["items"] if item["name"] == NAME)
    assert (record["state"], record["version"]) == ("disabled", "0.1.0")
    assert record["description"] == "KitProbe items (generated by modular-server plugins new)"
