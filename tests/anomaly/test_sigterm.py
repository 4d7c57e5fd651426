"""A real ``modular-server serve`` process stops promptly on SIGTERM while a training job runs,
and the job ends ``interrupted`` (said by the shutdown itself, not found later)."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

import httpx

from modular_server.settings import Settings
from modular_server.testing import eventually, running_app, sources_with
from modular_server.testing.server import ServerProcess, cli
from tests.anomaly.support import INVENTORY, warehouse
from tests.support.rows import insert_rows

from .dataset import generate

#: uvicorn's timeout_graceful_shutdown in `modular-server serve`; the process must end before it
GRACEFUL_SECONDS = 30


async def test_sigterm_stops_the_server_while_a_job_runs(tmp_path: Path) -> None:
    database = tmp_path / "server.db"
    url = f"sqlite+aiosqlite:///{database}"
    async with running_app(
        Settings(database_url=url, auto_migrate=True, data_dir=tmp_path / "data"),
        sources_with(only=[*INVENTORY, "anomaly"]),
    ) as seeding:
        artikel_ids, ort = await warehouse(seeding, ["Obst"] * 12)
        await insert_rows(seeding, "lagerbewegung", generate(artikel_ids, ort).rows)

    env = {
        "MODULAR_SERVER_DATABASE_URL": url,
        "MODULAR_SERVER_DATA_DIR": str(tmp_path / "data"),
        "MODULAR_SERVER_AUTO_MIGRATE": "true",
        # a job that takes far longer than the test: one big model per artikel
        "MODULAR_SERVER_ANOMALY__N_ESTIMATORS": "2000",
        "MODULAR_SERVER_ANOMALY__MIN_SAMPLES_ARTIKEL": "20",
        "MODULAR_SERVER_ANOMALY__TRAINING_INTERVAL_HOURS": "0",
    }
    created = await asyncio.to_thread(
        cli, "keys", "create", "--name", "sigterm", "--scope", "admin", "--quiet", env=env, cwd=tmp_path
    )
    key = created.strip().splitlines()[-1]
    server = ServerProcess(env, tmp_path)
    await asyncio.to_thread(server.start)
    try:
        async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {key}"}) as client:
            answer = await client.post("/api/v1/anomalies/train", json={"rescore": True})
            assert answer.status_code == 202, answer.text
            location = answer.headers["location"]

            async def job_running() -> bool:
                return (await client.get(location)).json()["status"] == "running"

            await eventually(job_running, "the job running", seconds=60)
            assert (await client.get("/health/live")).status_code == 200  # the server answers meanwhile
        server.terminate()
        exit_code = await asyncio.to_thread(server.wait, GRACEFUL_SECONDS - 5)
    finally:
        await asyncio.to_thread(server.stop)
    # uvicorn runs the lifespan shutdown, then re-raises SIGTERM
    assert exit_code in (0, -signal.SIGTERM), server.log.read_text()[-3000:]
    log = server.log.read_text()
    assert "Application shutdown complete" in log and "did not finish within" not in log

    with sqlite3.connect(database) as connection:
        status, error, finished = connection.execute(
            "SELECT status, error, finished_at FROM anomaly_job WHERE id = ?", (answer.json()["id"],)
        ).fetchone()
    assert status == "interrupted" and "shut down" in error and finished is not None
