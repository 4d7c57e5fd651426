"""Response models of the performance API. Durations are milliseconds; no field ever holds a
SQL parameter value (statements appear only as fingerprints)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class Latency(BaseModel):
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    mean_ms: float | None = None
    max_ms: float | None = None


class RoutePoint(BaseModel):
    """One time bucket of one route (a chart point)."""

    t: datetime
    requests: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    statements_mean: float | None


class RouteStats(BaseModel):
    method: str
    route: str
    requests: int
    client_errors: int
    server_errors: int
    latency: Latency
    statements_mean: float | None
    statements_max: int
    db_time_ms_mean: float | None
    cache_hits: int
    cache_misses: int
    cache_hit_ratio: float | None
    n_plus_one: int
    slow_queries: int
    series: list[RoutePoint] = []


class CacheFigures(BaseModel):
    """Cache results seen by monitoring (``ctx.cache_status``), plus the cache plugin's own stats."""

    hits: int
    misses: int
    hit_ratio: float | None
    plugin: dict[str, Any] | None = None


class Stats(BaseModel):
    since: datetime
    until: datetime
    requests: int
    client_errors: int
    server_errors: int
    error_rate: float | None
    latency: Latency
    statements_mean: float | None
    statements_max: int
    db_time_ms_mean: float | None
    slow_queries: int
    n_plus_one: int
    routes: int
    workers: int
    cache: CacheFigures | None = None
    refresh_seconds: int


class SlowQueryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    method: str | None
    route: str | None
    fingerprint: str
    duration_ms: float
    dialect: str
    plan: Any | None
    plan_note: str | None


class NPlusOneOffender(BaseModel):
    method: str
    route: str
    fingerprint: str
    occurrences: int
    max_count: int
    last_seen: datetime


class DailySummary(BaseModel):
    date: date
    requests: int
    client_errors: int
    server_errors: int
    latency: Latency
    statements_mean: float | None
    db_time_ms_mean: float | None
    slow_queries: int
    n_plus_one: int
    routes: list[RouteStats]


class Cleared(BaseModel):
    older_than: datetime
    route_windows: int
    slow_queries: int
    n_plus_one: int
