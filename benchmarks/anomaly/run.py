"""One anomaly benchmark run: a dedicated database with the demo ledger, one server, a training
job with rescoring, then a paced stream of bookings scored live."""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from benchmarks import dataset
from benchmarks.anomaly.feed import FeedResult, batch_bodies, feed
from benchmarks.probe import probe
from benchmarks.servers import LOOPBACK, ServerProcess, ServerSpec, product_server_env

log = logging.getLogger("benchmarks.anomaly")
DEFAULT_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:5432/modular_anomaly_bench"
ENDED = {"succeeded", "failed", "interrupted"}


@dataclass(frozen=True)
class AnomalyBenchConfig:
    scale: int = 10
    database_url: str = DEFAULT_DATABASE  # dropped and created afresh
    job_limit_seconds: float = 60.0  # target: train + rescore the whole ledger within this
    feed_rate: float = 1000.0  # bookings per second offered while scoring live
    feed_seconds: float = 30.0
    batch_size: int = 100
    catch_up_limit_seconds: float = 5.0  # target: scored this soon after the stream stops
    poll_seconds: float = 0.25


@dataclass
class JobFigures:
    answered_ms: float  # POST /train until its 202
    status: str
    seconds: float  # the job's own started_at .. finished_at
    training_seconds: float | None  # observed: until the phase turned to rescoring
    movements_seen: int
    movements_scored: int
    anomalies_found: int
    models_trained: int
    samples: int
    error: str | None


@dataclass
class AnomalyBenchResult:
    config: dict[str, Any]
    started: str
    rows: dict[str, int]
    job: JobFigures
    live: FeedResult

    @property
    def job_within_limit(self) -> bool:
        return self.job.status == "succeeded" and self.job.seconds <= self.config["job_limit_seconds"]

    @property
    def offered_rate_reached(self) -> bool:
        """The server took the stream at (nearly) the offered rate: otherwise keeping up says little."""
        return self.live.failed_batches == 0 and self.live.rate >= 0.95 * self.config["feed_rate"]

    @property
    def kept_up(self) -> bool:
        limit = self.config["catch_up_limit_seconds"]
        return self.live.catch_up_seconds is not None and self.live.catch_up_seconds <= limit

    @property
    def passed(self) -> bool:
        return self.job_within_limit and self.offered_rate_reached and self.kept_up

    def to_dict(self) -> dict[str, Any]:
        live = asdict(self.live) | {"rate": self.live.rate, "max_lag": self.live.max_lag}
        verdicts = {
            "job_within_limit": self.job_within_limit,
            "offered_rate_reached": self.offered_rate_reached,
            "kept_up": self.kept_up,
            "passed": self.passed,
        }
        return {"config": self.config, "started": self.started, "rows": self.rows, "job": asdict(self.job)} | {
            "live": live,
            **verdicts,
        }


def server_spec(config: AnomalyBenchConfig, work_dir: Path) -> ServerSpec:
    command = [sys.executable, "-m", "modular_server", "serve", "--host", LOOPBACK, "--port", "{port}"]
    return ServerSpec(
        "anomaly-server",
        command,
        # only the benchmark's job trains: no scheduled training may race it
        product_server_env(config.database_url, work_dir, "anomaly")
        | {"MODULAR_SERVER_ANOMALY__TRAINING_INTERVAL_HOURS": "0"},
    )


def _seconds_between(started: str | None, finished: str | None) -> float:
    if not started or not finished:
        return float("nan")
    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()


def train_and_rescore(client: httpx.Client, poll_seconds: float, timeout: float = 1800.0) -> JobFigures:
    """POST /train with rescoring and poll the job until it has ended."""
    sent = time.perf_counter()
    answer = client.post("/api/v1/anomalies/train", json={"rescore": True})
    answered_ms = (time.perf_counter() - sent) * 1000
    answer.raise_for_status()
    job = answer.json()
    began, training_ends = time.perf_counter(), None
    while job["status"] not in ENDED:
        if time.perf_counter() - began > timeout:
            raise TimeoutError(f"job {job['id']} still {job['status']} after {timeout} s")
        time.sleep(poll_seconds)
        job = client.get(f"/api/v1/anomalies/jobs/{job['id']}").json()
        if training_ends is None and job["phase"] in ("rescoring", "done"):
            training_ends = time.perf_counter() - began
    return JobFigures(
        answered_ms=answered_ms,
        status=job["status"],
        seconds=_seconds_between(job["started_at"], job["finished_at"]),
        training_seconds=training_ends,
        movements_seen=job["movements_seen"],
        movements_scored=job["movements_scored"],
        anomalies_found=job["anomalies_found"],
        models_trained=job["models_trained"],
        samples=job["samples"],
        error=job["error"],
    )


def _dsn(database_url: str) -> str:
    """The SQLAlchemy URL as a plain libpq DSN for asyncpg."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def run_anomaly_bench(config: AnomalyBenchConfig) -> AnomalyBenchResult:
    if not config.database_url.startswith("postgresql"):
        raise ValueError("the anomaly benchmark runs on a dedicated PostgreSQL database")
    token = dataset.fresh_database(config.database_url, config.scale, key_name="anomaly-bench")
    facts = probe(config.database_url)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="modular-anomaly-bench-") as tmp:
        work_dir = Path(tmp)
        with ServerProcess(server_spec(config, work_dir), work_dir / "logs") as server:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
                log.info("training with rescoring on %s movements", f"{facts.rows['lagerbewegung']:,}")
                job = train_and_rescore(client, config.poll_seconds)
            log.info("job %s in %.1f s; feeding %.0f bookings/s", job.status, job.seconds, config.feed_rate)
            live = asyncio.run(
                feed(
                    server.base_url,
                    token,
                    _dsn(config.database_url),
                    batch_bodies(facts, config.batch_size),
                    rate=config.feed_rate,
                    seconds=config.feed_seconds,
                    catch_up_limit=config.catch_up_limit_seconds,
                )
            )
    return AnomalyBenchResult(config=asdict(config), started=started, rows=facts.rows, job=job, live=live)
