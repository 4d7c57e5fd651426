"""Turning persisted window rows (of every worker) into the API's figures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from modular_server.plugins.monitoring.counters import Counters
from modular_server.plugins.monitoring.histogram import Histogram
from modular_server.plugins.monitoring.models import RouteWindow
from modular_server.plugins.monitoring.schemas import Latency, RoutePoint, RouteStats


@dataclass(slots=True)
class Aggregate(Counters):
    """Sums over any set of window rows (a route, a bucket, everything)."""

    requests: int = 0
    client_errors: int = 0
    server_errors: int = 0
    latency: Histogram = field(default_factory=Histogram)

    def add(self, row: RouteWindow) -> None:
        self.requests += row.requests
        self.client_errors += row.client_errors
        self.server_errors += row.server_errors
        self.merge_counters(row)
        self.latency.merge(Histogram.from_json(row.latency))

    def latency_ms(self) -> Latency:
        h = self.latency
        return Latency(
            p50_ms=_ms(h.percentile(0.50)),
            p95_ms=_ms(h.percentile(0.95)),
            p99_ms=_ms(h.percentile(0.99)),
            mean_ms=_ms(h.mean),
            max_ms=_ms(h.maximum if h.count else None),
        )

    @property
    def statements_mean(self) -> float | None:
        return round(self.statements / self.requests, 3) if self.requests else None

    @property
    def db_time_ms_mean(self) -> float | None:
        return round(self.db_time_us / self.requests / 1000, 3) if self.requests else None

    @property
    def cache_hit_ratio(self) -> float | None:
        looked_up = self.cache_hits + self.cache_misses
        return round(self.cache_hits / looked_up, 4) if looked_up else None


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def total(rows: Iterable[RouteWindow]) -> Aggregate:
    found = Aggregate()
    for row in rows:
        found.add(row)
    return found


def per_route(rows: Iterable[RouteWindow], with_series: bool) -> list[RouteStats]:
    """Route figures over all workers, busiest first; optionally with one point per bucket."""
    routes: dict[tuple[str, str], Aggregate] = {}
    buckets: dict[tuple[str, str], dict[datetime, Aggregate]] = {}
    for row in rows:
        key = (row.method, row.route)
        routes.setdefault(key, Aggregate()).add(row)
        if with_series:
            buckets.setdefault(key, {}).setdefault(utc(row.bucket_start), Aggregate()).add(row)
    found = []
    for (method, route), agg in routes.items():
        series = [_point(t, b) for t, b in sorted(buckets.get((method, route), {}).items())]
        found.append(
            RouteStats(
                method=method,
                route=route,
                requests=agg.requests,
                client_errors=agg.client_errors,
                server_errors=agg.server_errors,
                latency=agg.latency_ms(),
                statements_mean=agg.statements_mean,
                statements_max=agg.max_statements,
                db_time_ms_mean=agg.db_time_ms_mean,
                cache_hits=agg.cache_hits,
                cache_misses=agg.cache_misses,
                cache_hit_ratio=agg.cache_hit_ratio,
                n_plus_one=agg.n_plus_one,
                slow_queries=agg.slow_queries,
                series=series,
            )
        )
    found.sort(key=lambda r: (-r.requests, r.route, r.method))
    return found


def _point(t: datetime, agg: Aggregate) -> RoutePoint:
    latency = agg.latency_ms()
    return RoutePoint(
        t=t,
        requests=agg.requests,
        p50_ms=latency.p50_ms,
        p95_ms=latency.p95_ms,
        p99_ms=latency.p99_ms,
        statements_mean=agg.statements_mean,
    )
