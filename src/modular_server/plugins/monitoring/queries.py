"""Every SELECT of the monitoring plugin (over its own tables only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugins.monitoring.models import NPlusOne, RouteWindow, SlowQuery


async def route_windows(session: AsyncSession, since: datetime, until: datetime) -> Sequence[RouteWindow]:
    rows = await session.scalars(
        select(RouteWindow)
        .where(RouteWindow.bucket_start >= since, RouteWindow.bucket_start < until)
        .order_by(RouteWindow.bucket_start)
    )
    return rows.all()


async def slowest_queries(session: AsyncSession, since: datetime, until: datetime, limit: int) -> Sequence[SlowQuery]:
    rows = await session.scalars(
        select(SlowQuery)
        .where(SlowQuery.occurred_at >= since, SlowQuery.occurred_at < until)
        .order_by(SlowQuery.duration_us.desc(), SlowQuery.id.desc())
        .limit(limit)
    )
    return rows.all()


async def n_plus_one_offenders(session: AsyncSession, since: datetime, until: datetime, limit: int) -> Sequence[Any]:
    """(method, route, fingerprint, occurrences, max_count, last_seen), most frequent first."""
    occurrences = func.count(NPlusOne.id).label("occurrences")
    result = await session.execute(
        select(
            NPlusOne.method,
            NPlusOne.route,
            NPlusOne.fingerprint_hash,
            func.min(NPlusOne.fingerprint).label("fingerprint"),
            occurrences,
            func.max(NPlusOne.count).label("max_count"),
            func.max(NPlusOne.occurred_at).label("last_seen"),
        )
        .where(NPlusOne.occurred_at >= since, NPlusOne.occurred_at < until)
        .group_by(NPlusOne.method, NPlusOne.route, NPlusOne.fingerprint_hash)
        .order_by(occurrences.desc(), NPlusOne.route)
        .limit(limit)
    )
    return result.all()


async def record_counts(session: AsyncSession, since: datetime, until: datetime) -> tuple[int, int]:
    """Slow queries and N+1 events in the range."""
    slow = await session.scalar(
        select(func.count(SlowQuery.id)).where(SlowQuery.occurred_at >= since, SlowQuery.occurred_at < until)
    )
    n_plus_one = await session.scalar(
        select(func.count(NPlusOne.id)).where(NPlusOne.occurred_at >= since, NPlusOne.occurred_at < until)
    )
    return int(slow or 0), int(n_plus_one or 0)
