"""`serve`: JSON logs include uvicorn's lines; a bad setting or an unusable
database is one line on stderr, also with several workers (never a traceback per worker)."""

from __future__ import annotations

import asyncio
import gc
import json
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from modular_server.core.app import create_app
from modular_server.testing import eventually
from tests.cli.test_startup import FIRST_PARTY
from tests.core.cli import CONSOLE_SCRIPT, clean_environment, run


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_live(port: int, server: subprocess.Popen[str]) -> None:
    async def live() -> bool:
        assert server.poll() is None, server.communicate()
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"http://127.0.0.1:{port}/health/live", timeout=1)).status_code == 200
        except httpx.TransportError:
            return False

    # the bound only ends a hanging start; it is not a claim about speed
    asyncio.run(eventually(live, "the server to come up", seconds=60))


def test_json_log_format_makes_uvicorn_lines_json_too(database_url, tmp_path):
    port = _free_port()
    env = clean_environment(database_url, plugins__enabled=json.dumps(FIRST_PARTY), log_format="json", log_level="info")
    server = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_live(port, server)
        assert httpx.get(f"http://127.0.0.1:{port}/health/live").status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
    lines = [line for line in (out + err).splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line parses: no plain text left
    loggers = {entry["logger"] for entry in entries}
    assert {"uvicorn.error", "uvicorn.access"} <= loggers
    assert any("GET /health/live" in entry["message"] for entry in entries if entry["logger"] == "uvicorn.access")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_bad_setting_is_one_line_on_serve(database_url, tmp_path, workers):
    env = clean_environment(database_url, port="abc", workers=workers)
    done = run(["serve"], env, tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: invalid setting: MODULAR_SERVER_PORT must be a whole number: "
        "Input should be a valid integer, unable to parse string as an integer"
    ]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_missing_database_is_one_line_on_serve(tmp_path, workers):
    url = "postgresql+asyncpg://postgres@127.0.0.1:5432/modular_server_no_such_database"
    env = clean_environment(
        url, plugins__enabled=json.dumps(FIRST_PARTY), workers=workers, secret_key="a-private-test-secret"
    )
    done = run(["serve"], env, tmp_path)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: the PostgreSQL database 'modular_server_no_such_database' does not exist")


def test_the_worker_factory_reports_a_bad_setting_in_one_line(database_url, tmp_path):
    env = clean_environment(database_url, plugins__enabled=json.dumps(FIRST_PARTY), database_pool_size="many")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from modular_server.core.app import app_factory; app_factory()",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: invalid setting: MODULAR_SERVER_DATABASE_POOL_SIZE")


def test_a_worker_freezes_what_start_up_built_out_of_the_collectors_reach(database_url, tmp_path):
    """Full collections walked every start-up object and stopped a loaded worker's event loop
    for 75-130 ms every few seconds; the worker factory freezes them once the app is built."""
    env = clean_environment(database_url, plugins__enabled=json.dumps(FIRST_PARTY))
    probe = "import gc; from modular_server.core.app import app_factory; app_factory(); print(gc.get_freeze_count())"
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip().splitlines()[-1]) > 100_000  # modules, models, routes, schemas


def test_building_an_app_in_process_freezes_nothing(settings_factory):
    """Only the worker factory freezes: a process building many apps (this suite) would keep
    each one's objects forever."""
    before = gc.get_freeze_count()
    create_app(settings_factory())
    assert gc.get_freeze_count() == before
