"""The example third-party plugin, installed through real entry-point metadata, is discovered
and served: its migration creates its table, its paginated list answers, its request_finished
observer counts requests, and its own tests pass with no pytest configuration of their own."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modular_server.core.sources import ENTRY_POINT_GROUP
from modular_server.testing.harness import in_ci
from tests.core.cli import clean_environment

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hello_plugin"

# Runs in a fresh interpreter, so that a package installed by this test is importable.
SERVE_HELLO = """
import asyncio, json, sys
from modular_server.settings import Settings
from modular_server.testing import running_app, sources_with

async def main():
    settings = Settings(plugins={"enabled": ["hello"]})
    async with running_app(settings, sources_with(only=["hello"])) as running:
        greeting = (await running.client.get("/api/v1/hello", params={"name": "Lager"})).json()
        await running.client.get("/api/v1/hello")
        stats = (await running.client.get("/api/v1/hello/stats")).json()
        after = (await running.client.get("/api/v1/hello/stats")).json()
        kept = await running.client.post("/api/v1/hello/greetings", json={"name": "Charge"})
        listed = (await running.client.get("/api/v1/hello/greetings")).json()
        record = running.app.state.host.records["hello"]
        print(json.dumps({"greeting": greeting, "stats": stats, "after": after, "state": record.state.value,
                          "origin": record.source.origin, "hooks": sorted(record.hooks),
                          "tables": list(record.tables), "kept": kept.status_code,
                          "listed": [g["message"] for g in listed["items"]],
                          "drift": await running.app.state.migrator.drift()}))

asyncio.run(main())
"""


def _hello_entry_point() -> importlib.metadata.EntryPoint | None:
    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return next((ep for ep in found if ep.name == "hello"), None)


@pytest.fixture(scope="module")
def hello_installed() -> importlib.metadata.EntryPoint:
    """The example installed into this interpreter's environment (pip install -e when missing)."""
    if _hello_entry_point() is None:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(EXAMPLE)],
            check=True,
            timeout=300,
        )
    entry_point = _hello_entry_point()
    assert entry_point is not None, "examples/hello_plugin is installed but registers no entry point"
    return entry_point


def test_hello_is_registered_through_entry_point_metadata(hello_installed):
    assert hello_installed.value == "hello_plugin"
    assert hello_installed.dist is not None and hello_installed.dist.metadata["Name"] == "modular-server-hello"


def test_hello_is_discovered_served_and_counts_requests(hello_installed, database_url, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SERVE_HELLO],
        env=clean_environment(database_url),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["state"] == "active"
    assert seen["origin"] == "modular-server-hello: hello_plugin"
    # models, routes and migrations come by convention (no hook code); these are its hooks
    assert seen["hooks"] == ["plugin_settings", "request_finished", "startup"]
    assert seen["tables"] == ["hello_greeting"]
    assert seen["greeting"] == {"message": "Hallo, Lager!"}
    # the observer runs after each response: two greetings before the first /stats answered
    assert seen["stats"] == {"requests_seen": 2}
    assert seen["after"] == {"requests_seen": 3}
    assert seen["kept"] == 201
    assert seen["listed"] == ["Hallo, Charge!"]
    # the example's migration creates exactly what its model declares
    assert "hello" not in seen["drift"]


@pytest.mark.slow
def test_the_examples_own_tests_pass_without_pytest_configuration(hello_installed):
    # -c names the example's own pyproject.toml (which has no pytest section): the repository's
    # configuration is not used, only what the modular_server pytest plugin sets up itself
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODULAR_SERVER_", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-c", "pyproject.toml", "tests"],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    # 4 behaviours on SQLite and PostgreSQL; without CI=true an unreachable PostgreSQL skips its half
    assert "8 passed" in summary or (not in_ci() and "4 passed, 4 skipped" in summary), summary
    assert "configfile: pyproject.toml" in result.stdout
