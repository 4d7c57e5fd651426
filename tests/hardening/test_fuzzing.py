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
MAX_EXAMPLES = "5"
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


def _schemathesis(server: ServerProcess, key: str, report: Path) -> subprocess.Popen[str]:
    """Start one run (the runs of both keys go side by side: generating cases is CPU-bound)."""
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
        "1",
        "--request-timeout",
        "20",
        "--header",
        f"Authorization: Bearer {key}",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
    ]
    # its example database (.hypothesis) goes beside the report, not into the checkout
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=report.parent)


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
        reports = {scope: tmp_path / scope / "report.ndjson" for scope in keys}
        for report in reports.values():
            report.parent.mkdir()
        runs = {scope: _schemathesis(server, key, reports[scope]) for scope, key in keys.items()}
        outputs = {scope: run.communicate(timeout=900)[0] for scope, run in runs.items()}
    failed = {scope: outputs[scope][-6000:] for scope, run in runs.items() if run.returncode != 0}
    assert not failed, "\n\n".join(f"{scope} key:\n{output}" for scope, output in failed.items())
    assert _stateful_steps(reports["admin"]) > 0, outputs["admin"][-3000:]
    # not one 503 while the database is up (the access log has every answer, also those of 4xx checks)
    assert '" 503 ' not in server.log.read_text()
