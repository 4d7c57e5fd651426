"""Property-based fuzzing of every operation from the app's own OpenAPI schema (schemathesis 4),
against a real server process with demo data, on SQLite and on PostgreSQL, with an admin key and
with a read key. All phases run, the stateful one following the OpenAPI links the app declares
(core.openapi_links). Zero failures: no 5xx (so no 503 while the database is up), and every
answer matches its documented status, content type and schema."""

import json
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest

from modular_server.testing.pytest_plugin import BOTH
from modular_server.testing.server import ServerProcess, cli

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
PHASES = "examples,coverage,fuzzing,stateful"
# bounds the run to a few minutes per backend on a 2-core machine
MAX_EXAMPLES = "8"
SEED = "20261201"


def _builtin_plugins() -> list[str]:
    """The plugins this distribution ships (test-only plugins installed beside them stay off)."""
    return sorted(
        ep.name for ep in entry_points(group="modular_server.plugins") if ep.value.startswith("modular_server.plugins.")
    )


def _prepare(database_url: str, workdir: Path) -> tuple[dict[str, str], dict[str, str]]:
    env = {
        "MODULAR_SERVER_DATABASE_URL": database_url,
        "MODULAR_SERVER_PLUGINS__ENABLED": json.dumps(_builtin_plugins()),
    }
    cli("db", "upgrade", env=env, cwd=workdir)
    cli("demo-data", "--scale", "1", env=env, cwd=workdir)
    keys = {
        scope: cli("keys", "create", "--name", f"fuzz-{scope}", "--scope", scope, "--quiet", env=env, cwd=workdir)
        .strip()
        .splitlines()[-1]
        for scope in ("admin", "read")
    }
    return env, keys


def _schemathesis(server: ServerProcess, key: str, report: Path) -> subprocess.CompletedProcess[str]:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    command = [
        st,
        "run",
        f"{server.url}/openapi.json",
        "--phases",
        PHASES,
        "--checks",
        CHECKS,
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        SEED,
        "--workers",
        "2",
        "--request-timeout",
        "20",
        "--header",
        f"Authorization: Bearer {key}",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=900)


def _stateful_steps(report: Path) -> int:
    """How many linked calls the stateful phase made (0 means the links were not followed)."""
    steps = 0
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished") or {}
        if finished.get("phase") == "stateful":
            steps += len((finished.get("recorder") or {}).get("cases") or {})
    return steps


@pytest.mark.slow
@pytest.mark.parametrize("backend", BOTH, indirect=True)
def test_fuzzing_with_an_admin_and_a_read_key_finds_no_failure(database_url, tmp_path):
    env, keys = _prepare(database_url, tmp_path)
    with ServerProcess(env, tmp_path) as server:
        schema = httpx.get(f"{server.url}/openapi.json").json()
        linked = [
            name
            for operations in schema["paths"].values()
            for operation in operations.values()
            for answer in operation["responses"].values()
            for name in answer.get("links", {})
        ]
        assert any("get_artikel" in name for name in linked)
        for scope, key in keys.items():
            report = tmp_path / f"{scope}.ndjson"
            result = _schemathesis(server, key, report)
            assert result.returncode == 0, f"{scope}:\n{result.stdout[-8000:]}\n{result.stderr[-2000:]}"
            assert "No issues found" in result.stdout or "passed" in result.stdout, result.stdout[-3000:]
            if scope == "admin":
                assert _stateful_steps(report) > 0, result.stdout[-3000:]
    log = server.log.read_text()
    assert "database unavailable" not in log
