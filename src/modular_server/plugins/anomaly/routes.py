"""HTTP endpoints of the anomaly plugin: /api/v1/anomalies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import (
    DatabaseDep,
    Page,
    Pagination,
    ReadSession,
    current_request,
    host_of,
    requires_scope,
)
from modular_server.plugins.anomaly import jobs, queries, service
from modular_server.plugins.anomaly.schemas import AnomalyOut, JobOut, Kind, ModelOut, ReviewIn, Status, TrainIn

if TYPE_CHECKING:
    # the runtime imports scikit-learn; routes are registered before startup and stay light
    from modular_server.plugins.anomaly.runtime import AnomalyRuntime

router = APIRouter(prefix="/api/v1/anomalies", tags=["anomalies"])
#: an anomaly id (BIGINT on PostgreSQL)
AnomalyId = Annotated[int, Path(gt=0, le=2**63 - 1)]


def _runtime(request: Request) -> AnomalyRuntime:
    return host_of(request).data["anomaly"]


@router.get("", summary="Anomalies, newest first (keyset on id)")
async def list_anomalies(
    session: ReadSession,
    page: Pagination,
    kind: Kind | None = None,
    artikel_id: int | None = None,
    status: Status | None = None,
    since: Annotated[datetime | None, Query(description="occurred at or after")] = None,
    until: Annotated[datetime | None, Query(description="occurred before")] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
) -> Page[AnomalyOut]:
    rows, cursor = await queries.anomalies_page(
        session, page, kind=kind, artikel_id=artikel_id, status=status, since=since, until=until, min_score=min_score
    )
    return Page(items=[AnomalyOut.model_validate(a) for a in rows], next_cursor=cursor)


@router.get(
    "/models",
    summary="The trained models with training date, sample count and contamination",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {"items": ModelOut.model_json_schema()["examples"], "next_cursor": None}
                }
            }
        }
    },
)
async def list_models(session: ReadSession) -> Page[ModelOut]:
    return Page[ModelOut](items=[ModelOut.model_validate(m) for m in await queries.models(session)])


@router.post(
    "/train",
    status_code=202,
    summary="Start a training job (movements, and route windows while monitoring serves); poll its Location",
    responses={409: {"description": "a training job is queued or running already (type …:training-running)"}},
)
@requires_scope("admin")
async def train(request: Request, response: Response, body: TrainIn | None = None) -> JobOut:
    job = await _runtime(request).submit(rescore=body.rescore if body else False, requested_by=_who())
    response.headers["Location"] = jobs.location(job.id)
    return JobOut.model_validate(job)


@router.get("/jobs", summary="Training jobs, newest first (keyset on id)")
async def list_jobs(db: DatabaseDep, page: Pagination) -> Page[JobOut]:
    async with db.session() as session:  # the primary: a job just created is there
        rows, cursor = await queries.jobs_page(session, page)
    return Page(items=[JobOut.model_validate(j) for j in rows], next_cursor=cursor)


@router.get("/jobs/{job_id}", summary="One training job: status, progress and counts")
async def get_job(db: DatabaseDep, job_id: int) -> JobOut:
    async with db.session() as session:
        return JobOut.model_validate(await queries.get_job(session, job_id))


def _who() -> str:
    ctx = current_request()
    return ctx.principal.name if ctx is not None and ctx.principal is not None else "unknown"


@router.get("/{anomaly_id}", summary="One anomaly")
async def get_anomaly(session: ReadSession, anomaly_id: AnomalyId) -> AnomalyOut:
    return AnomalyOut.model_validate(await queries.get_anomaly(session, anomaly_id))


@router.post("/{anomaly_id}/bestaetigen", summary="Confirm or dismiss an anomaly (kept for retraining)")
async def review(request: Request, anomaly_id: AnomalyId, body: ReviewIn) -> AnomalyOut:
    who = _who()

    async def work(session: AsyncSession) -> AnomalyOut:
        return AnomalyOut.model_validate(await service.review(session, anomaly_id, body.status, body.bemerkung, who))

    return await request.app.state.db.transaction(work)
