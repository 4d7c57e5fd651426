"""Writes of the monitoring plugin: persisting a snapshot, and the retention cleanup."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugins.monitoring.counters import merge_counters, zero_counters
from modular_server.plugins.monitoring.histogram import Histogram
from modular_server.plugins.monitoring.models import NPlusOne, RouteWindow, SlowQuery

if TYPE_CHECKING:
    from modular_server.plugin import Database
    from modular_server.plugins.monitoring.explain import PlanExplainer, PlanResult
    from modular_server.plugins.monitoring.recorder import RouteFigures, Snapshot


def fingerprint_hash(fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:16]


def bucket_start(epoch_seconds: float, bucket_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds - epoch_seconds % bucket_seconds, UTC)


async def persist(db: Database, worker: str, snapshot: Snapshot, bucket_seconds: int, explainer: PlanExplainer) -> None:
    """Add the snapshot to this worker's window rows and store its records, in one transaction.

    Only this worker writes rows with its ``worker`` value, and a per-worker lock serializes
    flushes, so the read-modify-write of a window row cannot lose an update.
    """
    # EXPLAIN before the transaction: no write lock is held while PostgreSQL plans
    plans: list[PlanResult] = [await explainer.plan_for(slow) for slow in snapshot.slow]
    # figures land in the bucket of the flush; a point is late by at most flush_interval_seconds
    bucket = bucket_start(snapshot.until, bucket_seconds)

    async def work(session: AsyncSession) -> None:
        if snapshot.figures:
            rows = await session.scalars(
                select(RouteWindow).where(RouteWindow.bucket_start == bucket, RouteWindow.worker == worker)
            )
            existing = {(row.method, row.route): row for row in rows}
            for (method, route), figures in snapshot.figures.items():
                row = existing.get((method, route))
                if row is None:
                    row = _empty_window(bucket, worker, method, route)
                    session.add(row)
                _add(row, figures)
        for slow, (plan, note) in zip(snapshot.slow, plans, strict=True):
            session.add(
                SlowQuery(
                    occurred_at=slow.occurred_at,
                    worker=worker,
                    method=slow.method,
                    route=slow.route,
                    fingerprint=slow.fingerprint,
                    fingerprint_hash=fingerprint_hash(slow.fingerprint),
                    duration_us=round(slow.duration * 1_000_000),
                    dialect=slow.dialect,
                    plan=plan,
                    plan_note=note,
                )
            )
        for event in snapshot.n_plus_one:
            session.add(
                NPlusOne(
                    occurred_at=event.occurred_at,
                    worker=worker,
                    method=event.method,
                    route=event.route,
                    fingerprint=event.fingerprint,
                    fingerprint_hash=fingerprint_hash(event.fingerprint),
                    count=event.count,
                )
            )

    await db.transaction(work)


def _empty_window(bucket: datetime, worker: str, method: str, route: str) -> RouteWindow:
    return RouteWindow(
        bucket_start=bucket,
        worker=worker,
        method=method,
        route=route,
        requests=0,
        client_errors=0,
        server_errors=0,
        latency=Histogram().to_json(),
        **zero_counters(),
    )


def _add(row: RouteWindow, figures: RouteFigures) -> None:
    row.requests += figures.requests
    row.client_errors += figures.status_classes[3]
    row.server_errors += figures.status_classes[4]
    merge_counters(row, figures)
    latency = Histogram.from_json(row.latency)
    latency.merge(figures.latency)
    row.latency = latency.to_json()


async def remove_older_than(db: Database, days: int) -> tuple[datetime, dict[str, int]]:
    """Delete persisted figures older than ``days``; returns the cutoff and rows per table."""
    cutoff = datetime.now(UTC) - timedelta(days=days)

    async def work(session: AsyncSession) -> dict[str, int]:
        removed = {}
        for name, model, column in (
            ("route_windows", RouteWindow, RouteWindow.bucket_start),
            ("slow_queries", SlowQuery, SlowQuery.occurred_at),
            ("n_plus_one", NPlusOne, NPlusOne.occurred_at),
        ):
            result = await session.execute(delete(model).where(column < cutoff))
            removed[name] = result.rowcount or 0
        return removed

    return cutoff, await db.transaction(work)
