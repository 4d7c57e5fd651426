"""Training jobs: one row per run of training (and its optional rescoring), created by
``POST /train`` or the schedule and run in the background by the process that created it.

One job at a time, on every worker and instance: the partial unique index
``uq_anomaly_job_active`` lets at most one job per kind be queued or running, so a second
request fails at its INSERT (409 ``training-running``) whatever process it reaches. A job
whose process is gone (killed, crashed, shut down before it could say so) is marked
``interrupted`` at the next start of any instance, or when a new job is requested.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import Conflict, Database
from modular_server.plugins.anomaly import queries
from modular_server.plugins.anomaly.models import JOB_ACTIVE, AnomalyJob

TRAIN = "train"
JOBS_PATH = "/api/v1/anomalies/jobs"


def utcnow() -> datetime:
    return datetime.now(UTC)


def location(job_id: int) -> str:
    return f"{JOBS_PATH}/{job_id}"


def owner_id() -> str:
    """``host:pid:token`` of this runtime; the token tells apart two starts with the same pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(slots=True)
class JobProgress:
    """What a running job has done so far; written to its row with every heartbeat and at the end."""

    job_id: int
    phase: str = "training"
    progress: float = 0.0
    models_trained: int = 0
    samples: int = 0
    movements_seen: int = 0
    movements_scored: int = 0
    anomalies_found: int = 0

    def values(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "progress": round(min(max(self.progress, 0.0), 1.0), 4),
            "models_trained": self.models_trained,
            "samples": self.samples,
            "movements_seen": self.movements_seen,
            "movements_scored": self.movements_scored,
            "anomalies_found": self.anomalies_found,
        }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def owner_gone(job: AnomalyJob, now: datetime, stale_after: timedelta) -> str | None:
    """Why the job's owner is gone, or None while it may still be running it."""
    host, _, rest = job.owner.partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname() and pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
        return f"its process ({job.owner}) is gone"
    if now - job.heartbeat_at > stale_after:
        return f"its process ({job.owner}) gave no sign of life since {job.heartbeat_at.isoformat()}"
    return None


async def _interrupt_orphans(session: AsyncSession, stale_after: timedelta, now: datetime) -> list[int]:
    interrupted = []
    for job in await queries.active_jobs(session):
        reason = owner_gone(job, now, stale_after)
        if reason is not None:
            job.status, job.finished_at = "interrupted", now
            job.error = f"interrupted: {reason}"
            interrupted.append(job.id)
    await session.flush()
    return interrupted


async def interrupt_orphans(db: Database, stale_after: timedelta) -> list[int]:
    """Mark the active jobs whose owner is gone ``interrupted``; their ids."""
    return await db.transaction(lambda session: _interrupt_orphans(session, stale_after, utcnow()))


async def create(
    db: Database, *, rescore: bool, requested_by: str | None, owner: str, stale_after: timedelta
) -> AnomalyJob:
    """A new queued job owned by ``owner``; 409 ``training-running`` while another is active."""

    async def work(session: AsyncSession) -> AnomalyJob:
        now = utcnow()
        await _interrupt_orphans(session, stale_after, now)
        job = AnomalyJob(
            kind=TRAIN,
            status="queued",
            phase="queued",
            rescore=rescore,
            progress=0.0,
            models_trained=0,
            samples=0,
            movements_seen=0,
            movements_scored=0,
            anomalies_found=0,
            requested_by=requested_by,
            owner=owner,
            created_at=now,
            heartbeat_at=now,
        )
        session.add(job)
        await session.flush()
        return job

    try:
        return await db.transaction(work)
    except IntegrityError:
        async with db.session() as session:
            active = await queries.active_jobs(session)
        running = active[0].id if active else None
        raise Conflict(
            "a training job is queued or running already; poll it and ask again when it has ended",
            slug="training-running",
            job_id=running,
            job=location(running) if running is not None else None,
        ) from None


async def begin(db: Database, job_id: int) -> bool:
    """queued -> running; False when the job is no longer queued (interrupted meanwhile)."""

    async def work(session: AsyncSession) -> bool:
        now = utcnow()
        result = await session.execute(
            update(AnomalyJob)
            .where(AnomalyJob.id == job_id, AnomalyJob.status == "queued")
            .values(status="running", phase="training", started_at=now, heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    return await db.transaction(work)


async def beat(db: Database, progress: JobProgress) -> None:
    """Write the progress and the owner's sign of life."""

    async def work(session: AsyncSession) -> None:
        await session.execute(
            update(AnomalyJob)
            .where(AnomalyJob.id == progress.job_id, AnomalyJob.status == "running")
            .values(**progress.values(), heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    await db.transaction(work)


async def finish(db: Database, progress: JobProgress, status: str, error: str | None = None) -> None:
    """End the job (succeeded, failed or interrupted) with its final counts."""

    async def work(session: AsyncSession) -> None:
        now = utcnow()
        await session.execute(
            update(AnomalyJob)
            .where(AnomalyJob.id == progress.job_id, AnomalyJob.status.in_(JOB_ACTIVE))
            .values(**progress.values(), status=status, error=error, finished_at=now, heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )

    await db.transaction(work)
