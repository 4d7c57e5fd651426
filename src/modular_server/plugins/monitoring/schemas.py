"""Response models of the performance API. Durations are milliseconds; no field ever holds a
SQL parameter value (statements appear only as fingerprints)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

LATENCY_EXAMPLE: dict[str, Any] = {"p50_ms": 3.2, "p95_ms": 11.8, "p99_ms": 24.5, "mean_ms": 4.6, "max_ms": 31.0}
ROUTE_STATS_EXAMPLE: dict[str, Any] = {
    "method": "GET",
    "route": "/api/v1/artikel/{artikel_id}",
    "requests": 1240,
    "client_errors": 12,
    "server_errors": 0,
    "latency": LATENCY_EXAMPLE,
    "statements_mean": 2.0,
    "statements_max": 3,
    "db_time_ms_mean": 0.8,
    "cache_hits": 910,
    "cache_misses": 330,
    "cache_hit_ratio": 0.734,
    "n_plus_one": 0,
    "slow_queries": 0,
    "series": [
        {
            "t": "2026-03-02T08:00:00Z",
            "requests": 52,
            "p50_ms": 3.1,
            "p95_ms": 10.9,
            "p99_ms": 22.0,
            "statements_mean": 2.0,
        }
    ],
}
SLOW_QUERY_EXAMPLE: dict[str, Any] = {
    "id": 31,
    "occurred_at": "2026-03-02T08:14:03Z",
    "method": "GET",
    "route": "/api/v1/bestand",
    "fingerprint": "SELECT bestand.artikel_id, sum(bestand.menge) FROM bestand GROUP BY 1",
    "duration_ms": 412.5,
    "dialect": "postgresql",
    "plan": [{"Plan": {"Node Type": "HashAggregate", "Total Cost": 1843.2}}],
    "plan_note": None,
}
N_PLUS_ONE_EXAMPLE: dict[str, Any] = {
    "method": "GET",
    "route": "/api/v1/chargen",
    "fingerprint": "SELECT artikel.id, artikel.name FROM artikel WHERE artikel.id = ?",
    "occurrences": 4,
    "max_count": 50,
    "last_seen": "2026-03-02T08:20:11Z",
}


class Latency(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [LATENCY_EXAMPLE]})

    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    mean_ms: float | None = None
    max_ms: float | None = None


class RoutePoint(BaseModel):
    """One time bucket of one route (a chart point)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ROUTE_STATS_EXAMPLE["series"][0]]})

    t: datetime
    requests: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    statements_mean: float | None


class RouteStats(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ROUTE_STATS_EXAMPLE]})

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

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"hits": 910, "misses": 330, "hit_ratio": 0.734, "plugin": None}]}
    )

    hits: int
    misses: int
    hit_ratio: float | None
    plugin: dict[str, Any] | None = None


class Stats(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "since": "2026-03-01T08:30:00Z",
                    "until": "2026-03-02T08:30:01Z",
                    "requests": 18240,
                    "client_errors": 143,
                    "server_errors": 0,
                    "error_rate": 0.0078,
                    "latency": LATENCY_EXAMPLE,
                    "statements_mean": 2.4,
                    "statements_max": 41,
                    "db_time_ms_mean": 1.3,
                    "slow_queries": 3,
                    "n_plus_one": 1,
                    "routes": 37,
                    "workers": 2,
                    "cache": {"hits": 910, "misses": 330, "hit_ratio": 0.734, "plugin": None},
                    "refresh_seconds": 10,
                }
            ]
        }
    )

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
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [SLOW_QUERY_EXAMPLE]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [N_PLUS_ONE_EXAMPLE]})

    method: str
    route: str
    fingerprint: str
    occurrences: int
    max_count: int
    last_seen: datetime


class DailySummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "date": "2026-03-01",
                    "requests": 18240,
                    "client_errors": 143,
                    "server_errors": 0,
                    "latency": LATENCY_EXAMPLE,
                    "statements_mean": 2.4,
                    "db_time_ms_mean": 1.3,
                    "slow_queries": 3,
                    "n_plus_one": 1,
                    "routes": [{**ROUTE_STATS_EXAMPLE, "series": []}],
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"older_than": "2026-02-01T00:00:00Z", "route_windows": 8640, "slow_queries": 12, "n_plus_one": 2}
            ]
        }
    )

    older_than: datetime
    route_windows: int
    slow_queries: int
    n_plus_one: int
