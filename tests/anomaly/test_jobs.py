"""Training jobs: POST /train answers 202 with a job to poll; one job at a time, enforced by the
database across app instances; a job cut short by shutdown, or left behind by a process that
is gone, ends ``interrupted``."""

from __future__ import annotations

import asyncio
import socket
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugins.anomaly import detector, queries
from modular_server.plugins.anomaly.models import AnomalyJob
from modular_server.plugins.anomaly.runtime import AnomalyRuntime
from modular_server.testing import BOTH, RunningApp, eventually
from tests.anomaly.support import models, runtime_of, train, warehouse
from tests.support.apps import AppFactory
from tests.support.rows import insert_rows

from .dataset import generate

PROBLEM = "application/problem+json"


def hold(runtime: AnomalyRuntime) -> asyncio.Event:
    """Keep the runtime's next jobs at the start of their training until the event is set."""
    release = asyncio.Event()
    train = runtime._train

    async def held(progress: Any, *, rescore: bool) -> None:
        await release.wait()
        await train(progress, rescore=rescore)

    runtime._train = held  # type: ignore[method-assign]
    return release


async def job_status(running: RunningApp, job_id: int) -> str:
    async with running.app.state.db.session() as session:
        return str(await session.scalar(select(AnomalyJob.status).where(AnomalyJob.id == job_id)))


async def running_job(running: RunningApp, job_id: int) -> None:
    async def is_running() -> bool:
        return await job_status(running, job_id) == "running"

    await eventually(is_running, f"job {job_id} running")


def assert_training_running(answer: Any, job_id: int) -> None:
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["type"] == "urn:modular-server:problem:training-running"
    assert problem["job_id"] == job_id
    assert problem["job"] == f"/api/v1/anomalies/jobs/{job_id}"


async def foreign_job(running: RunningApp, owner: str, heartbeat: datetime) -> int:
    """An active job row as another process would have left it."""

    async def work(session: AsyncSession) -> int:
        values = {
            "kind": "train",
            "status": "running",
            "phase": "training",
            "rescore": False,
            "progress": 0.0,
            "models_trained": 0,
            "samples": 0,
            "movements_seen": 0,
            "movements_scored": 0,
            "anomalies_found": 0,
            "owner": owner,
            "created_at": heartbeat,
            "started_at": heartbeat,
            "heartbeat_at": heartbeat,
        }
        return int((await session.execute(insert(AnomalyJob).values(values).returning(AnomalyJob.id))).scalar_one())

    return await running.app.state.db.transaction(work)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_train_answers_202_with_a_job_polled_to_success(anomaly_app: AppFactory, backend: str) -> None:
    async with anomaly_app() as running:
        artikel_ids, ort = await warehouse(running, ["Obst"] * 3)
        ledger = generate(artikel_ids, ort)
        await insert_rows(running, "lagerbewegung", ledger.rows)
        release = hold(runtime_of(running))

        r = await running.client.post("/api/v1/anomalies/train", json={"rescore": True})
        assert r.status_code == 202, r.text
        job = r.json()
        assert r.headers["location"] == f"/api/v1/anomalies/jobs/{job['id']}"
        assert job["status"] == "queued" and job["kind"] == "train" and job["rescore"] is True
        assert job["progress"] == 0 and job["started_at"] is None and job["finished_at"] is None
        assert job["requested_by"] == "test-admin" and job["error"] is None

        await running_job(running, job["id"])
        polled = (await running.client.get(r.headers["location"])).json()
        assert polled["status"] == "running" and polled["started_at"] is not None
        assert (await running.client.get("/api/v1/anomalies", params={"limit": 1})).status_code == 200  # not blocked

        release.set()
        await runtime_of(running).jobs_done()
        done = (await running.client.get(r.headers["location"])).json()
        assert done["status"] == "succeeded" and done["phase"] == "done" and done["progress"] == 1.0
        assert done["models_trained"] == 1 and done["samples"] > 0
        assert done["movements_seen"] == len(ledger.rows)
        assert done["movements_scored"] == done["samples"]  # every judged movement was a training sample
        assert done["anomalies_found"] > 0
        found = (await running.client.get("/api/v1/anomalies", params={"limit": 200})).json()["items"]
        assert len(found) == done["anomalies_found"]
        assert done["started_at"] <= done["finished_at"]

        # a second job: the list pages newest first
        second = (await running.client.post("/api/v1/anomalies/train", json={})).json()
        await runtime_of(running).jobs_done()
        page = (await running.client.get("/api/v1/anomalies/jobs", params={"limit": 1})).json()
        assert [j["id"] for j in page["items"]] == [second["id"]] and page["next_cursor"]
        rest = (await running.client.get("/api/v1/anomalies/jobs", params={"cursor": page["next_cursor"]})).json()
        assert [j["id"] for j in rest["items"]] == [job["id"]]
        assert rest["items"][0]["status"] == "succeeded"

        missing = await running.client.get("/api/v1/anomalies/jobs/999999")
        assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
        bad = await running.client.post("/api/v1/anomalies/train", json={"rescore": "soon"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.rescore"
        assert (await running.as_scope("write").post("/api/v1/anomalies/train")).status_code == 403
        assert (await running.as_scope("read").get("/api/v1/anomalies/jobs")).status_code == 200


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_second_job_is_refused_while_one_runs(anomaly_app: AppFactory, backend: str) -> None:
    async with anomaly_app() as running:
        release = hold(runtime_of(running))
        first = (await running.client.post("/api/v1/anomalies/train", json={})).json()
        assert_training_running(await running.client.post("/api/v1/anomalies/train", json={}), first["id"])
        await running_job(running, first["id"])
        assert_training_running(await running.client.post("/api/v1/anomalies/train", json={}), first["id"])

        release.set()
        await runtime_of(running).jobs_done()
        assert await job_status(running, first["id"]) == "succeeded"
        again = await running.client.post("/api/v1/anomalies/train", json={})
        assert again.status_code == 202, again.text
        await runtime_of(running).jobs_done()


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_one_job_across_two_instances_on_one_database(anomaly_app: AppFactory, backend: str) -> None:
    async with anomaly_app() as first:
        release = hold(runtime_of(first))
        job = (await first.client.post("/api/v1/anomalies/train", json={})).json()
        await running_job(first, job["id"])
        # the second instance starts while the first one's job runs: it leaves that job alone
        async with anomaly_app() as second:
            assert await job_status(second, job["id"]) == "running"
            assert_training_running(await second.client.post("/api/v1/anomalies/train", json={}), job["id"])
            # both asking at once: exactly one may win (the database decides, not a process)
            release.set()
            await runtime_of(first).jobs_done()
            hold(runtime_of(first))
            hold(runtime_of(second))
            racing = await asyncio.gather(
                runtime_of(first).submit(rescore=False, requested_by="a"),
                runtime_of(second).submit(rescore=False, requested_by="b"),
                return_exceptions=True,
            )
            refused = [r for r in racing if isinstance(r, Exception)]
            assert len(refused) == 1 and getattr(refused[0], "slug", None) == "training-running", racing


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_shutdown_interrupts_the_running_job(anomaly_app: AppFactory, backend: str) -> None:
    async with anomaly_app() as running:
        hold(runtime_of(running))
        job = (await running.client.post("/api/v1/anomalies/train", json={})).json()
        await running_job(running, job["id"])
    # the app has stopped (lifespan shutdown) while the job ran

    async with anomaly_app() as restarted:
        stopped = (await restarted.client.get(f"/api/v1/anomalies/jobs/{job['id']}")).json()
        assert stopped["status"] == "interrupted", stopped
        assert "shut down" in stopped["error"] and stopped["finished_at"] is not None
        again = await restarted.client.post("/api/v1/anomalies/train", json={})
        assert again.status_code == 202, again.text
        await runtime_of(restarted).jobs_done()


async def test_jobs_left_by_a_gone_process_are_interrupted(anomaly_app: AppFactory) -> None:
    exited = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await exited.wait()
    dead_pid = exited.pid
    now = datetime.now(UTC)
    async with anomaly_app() as running:
        on_this_host = await foreign_job(running, f"{socket.gethostname()}:{dead_pid}:gone", now)

    async with anomaly_app() as restarted:  # the start finds the job of a process that has exited
        job = (await restarted.client.get(f"/api/v1/anomalies/jobs/{on_this_host}")).json()
        assert job["status"] == "interrupted" and "is gone" in job["error"]

        # another host's job that still gives signs of life blocks a new one ...
        alive = await foreign_job(restarted, "elsewhere:4711:alive", datetime.now(UTC))
        assert_training_running(await restarted.client.post("/api/v1/anomalies/train", json={}), alive)

    async with anomaly_app() as later:
        assert await job_status(later, alive) == "running"

        # ... until it has been silent for longer than job_stale_seconds
        async def silence(session: AsyncSession) -> None:
            row = await session.get(AnomalyJob, alive)
            assert row is not None
            row.heartbeat_at = datetime.now(UTC) - timedelta(hours=1)

        await later.app.state.db.transaction(silence)
        fresh = await later.client.post("/api/v1/anomalies/train", json={})
        assert fresh.status_code == 202, fresh.text
        stale = (await later.client.get(f"/api/v1/anomalies/jobs/{alive}")).json()
        assert stale["status"] == "interrupted" and "no sign of life" in stale["error"]
        await runtime_of(later).jobs_done()


async def test_the_trained_models_are_kept_in_memory(anomaly_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job rescores with the models it has just fitted: their files are written, not read back."""
    async with anomaly_app() as running:
        artikel_ids, ort = await warehouse(running, ["Obst"] * 3)
        await insert_rows(running, "lagerbewegung", generate(artikel_ids, ort).rows)
        await runtime_of(running).idle()
        read: list[str] = []
        monkeypatch.setattr(detector, "load", lambda directory, name: read.append(name))
        job = await train(running, rescore=True)
        assert job["models_trained"] == 1 and job["anomalies_found"] > 0
        assert read == []
        runtime = runtime_of(running)
        stored = {m["key"] for m in await models(running)}
        assert set(runtime.models) == stored and (runtime.directory / runtime._files["kategorie:Obst"]).is_file()


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_rescore_right_after_an_import_judges_what_live_scoring_has_not_reached(
    anomaly_app: AppFactory, backend: str
) -> None:
    """Live scoring waits before its round (and, without models, passes movements unjudged):
    a job that rescored only up to its position judged a fresh import by no one."""
    async with anomaly_app(scoring_delay_seconds=30) as running:  # live scoring never gets there
        artikel_ids, ort = await warehouse(running, ["Obst", "Obst"])
        ids = await insert_rows(running, "lagerbewegung", generate(artikel_ids, ort).rows)
        job = await train(running, rescore=True)
        assert job["movements_seen"] == len(ids)
        assert job["anomalies_found"] >= 2
        stored = (await running.client.get("/api/v1/anomalies", params={"kind": "stock"})).json()["items"]
        assert len(stored) == job["anomalies_found"]
        async with running.app.state.db.session() as session:  # live scoring starts after them
            assert await queries.position(session, "lagerbewegung") == max(ids)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_live_scoring_waits_while_a_job_rescores_with_its_new_models(
    anomaly_app: AppFactory, backend: str
) -> None:
    """A live round between the models' publication and the job's rescoring judged the job's
    movements first; the job then reported none of those anomalies as its own."""
    async with anomaly_app(scoring_delay_seconds=30) as running:
        runtime = runtime_of(running)
        artikel_ids, ort = await warehouse(running, ["Obst", "Obst"])
        await insert_rows(running, "lagerbewegung", generate(artikel_ids, ort).rows)
        rescore, live = runtime.rescore, []

        async def raced(progress: Any = None) -> int:
            live.append(asyncio.create_task(runtime.score_new()))  # a live round wants to run now
            await asyncio.wait(live, timeout=1)
            return await rescore(progress)

        runtime.rescore = raced  # type: ignore[method-assign]
        job = await train(running, rescore=True)
        assert await live[0] == 0  # it ran after the job: nothing left to judge
        stored = (await running.client.get("/api/v1/anomalies", params={"kind": "stock"})).json()["items"]
        assert job["anomalies_found"] == len(stored) >= 2
