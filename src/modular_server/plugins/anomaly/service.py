"""Writes of the anomaly plugin: found anomalies (published as events), model metadata,
scoring positions and the operator's verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import Conflict, DomainEvent, publish_event
from modular_server.plugins.anomaly import queries
from modular_server.plugins.anomaly.models import Anomaly, AnomalyModel, ScoringPosition

ANOMALY_DETECTED = "anomaly.detected"
#: rows per multi-row INSERT of anomalies (13 parameters each: far below SQLite's and asyncpg's limits)
INSERT_ROWS = 500


def utcnow() -> datetime:
    return datetime.now(UTC)


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    score: float
    threshold: float
    model_key: str
    features: dict[str, float]
    reason: str
    occurred_at: datetime
    artikel_id: int | None = None
    bewegung_id: int | None = None
    route: str | None = None
    window_start: datetime | None = None


def _row(finding: Finding) -> dict[str, Any]:
    return {
        "kind": finding.kind,
        "score": round(finding.score, 6),
        "threshold": round(finding.threshold, 6),
        "model_key": finding.model_key,
        "features": finding.features,
        "reason": finding.reason[:500],
        "artikel_id": finding.artikel_id,
        "bewegung_id": finding.bewegung_id,
        "route": finding.route,
        "window_start": finding.window_start,
        "occurred_at": finding.occurred_at,
        "status": "offen",
    }


def _identity(bewegung_id: int | None, route: str | None, window_start: datetime | None) -> tuple[Any, ...]:
    """What makes an anomaly unique: its movement, or its route window."""
    if bewegung_id is not None:
        return ("stock", int(bewegung_id))
    start = window_start.replace(tzinfo=UTC) if window_start and window_start.tzinfo is None else window_start
    return ("performance", route, start.timestamp() if start else None)


async def store_findings(session: AsyncSession, findings: Sequence[Finding]) -> int:
    """Insert the findings not stored yet (one per movement, one per route window), INSERT_ROWS
    to a statement, and queue an ``anomaly.detected`` event for each new one. Returns how many
    were new."""
    new = 0
    insert = _insert(session)
    for start in range(0, len(findings), INSERT_ROWS):
        part = findings[start : start + INSERT_ROWS]
        inserted = await session.execute(
            insert(Anomaly)
            .values([_row(finding) for finding in part])
            .on_conflict_do_nothing()
            .returning(Anomaly.id, Anomaly.bewegung_id, Anomaly.route, Anomaly.window_start)
        )
        ids = {_identity(row.bewegung_id, row.route, row.window_start): row.id for row in inserted}
        for finding in part:
            anomaly_id = ids.get(_identity(finding.bewegung_id, finding.route, finding.window_start))
            if anomaly_id is None:
                continue  # stored before (a rescore, another worker)
            new += 1
            publish_event(
                session,
                DomainEvent(
                    type=ANOMALY_DETECTED,
                    payload={
                        "anomaly_id": anomaly_id,
                        "kind": finding.kind,
                        "score": round(finding.score, 3),
                        "reason": finding.reason,
                        "artikel_id": finding.artikel_id,
                        "bewegung_id": finding.bewegung_id,
                        "route": finding.route,
                    },
                    severity="warning",
                ),
            )
    return new


async def advance(session: AsyncSession, name: str, value: int) -> None:
    """Move a scoring position forward (never back: a slower worker cannot rewind it)."""
    await session.execute(_insert(session)(ScoringPosition).values(name=name, position=0).on_conflict_do_nothing())
    await session.execute(
        update(ScoringPosition)
        .where(ScoringPosition.name == name, ScoringPosition.position < value)
        .values(position=value)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True, slots=True)
class ModelRecord:
    key: str
    kind: str
    file: str
    trained_at: datetime
    samples: int
    contamination: str
    threshold: float
    stats: dict[str, Any]


async def replace_models(session: AsyncSession, kind: str, records: Sequence[ModelRecord]) -> list[str]:
    """Make ``records`` the models of ``kind``; returns the files no model uses any more."""
    existing = {m.key: m for m in await queries.models(session) if m.kind == kind}
    wanted = {r.key for r in records}
    stale = [m.file for m in existing.values()]  # retrained models get new files, so every old one goes
    if set(existing) - wanted:
        await session.execute(delete(AnomalyModel).where(AnomalyModel.kind == kind, AnomalyModel.key.not_in(wanted)))
    for record in records:
        row = existing.get(record.key) or AnomalyModel(key=record.key)
        row.kind, row.file, row.trained_at = record.kind, record.file, record.trained_at
        row.samples, row.contamination, row.threshold, row.stats = (
            record.samples,
            record.contamination,
            record.threshold,
            record.stats,
        )
        session.add(row)
    await session.flush()
    return stale


async def review(session: AsyncSession, anomaly_id: int, status: str, bemerkung: str | None, who: str) -> Anomaly:
    anomaly = await queries.get_anomaly(session, anomaly_id)
    if anomaly.status != "offen" and anomaly.status != status:
        raise Conflict(
            f"anomaly {anomaly_id} is already {anomaly.status}", slug="already-reviewed", current_status=anomaly.status
        )
    anomaly.status = status
    anomaly.bemerkung = bemerkung
    anomaly.reviewed_at = utcnow()
    anomaly.reviewed_by = who
    await session.flush()
    return anomaly
