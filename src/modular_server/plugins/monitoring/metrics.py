"""Prometheus exposition of the cumulative totals, on a registry owned by the app.

Labels are the method and the route *template* (``/api/v1/chargen/{id}``), never a raw path,
so the number of series is bounded by the number of routes.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from modular_server.plugins.monitoring.histogram import PROMETHEUS_BOUNDS, upper_bound
from modular_server.plugins.monitoring.recorder import RouteFigures, RouteKey

PREFIX = "modular_server"
_STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
_LE = tuple(f"{upper_bound(i):.6g}" for i in PROMETHEUS_BOUNDS)


class TotalsCollector:
    """Yields the figures loaded by the /metrics handler right before it renders."""

    def __init__(self) -> None:
        self.figures: dict[RouteKey, RouteFigures] = {}
        self.workers = 1

    def load(self, figures: dict[RouteKey, RouteFigures], workers: int) -> None:
        self.figures, self.workers = figures, workers

    def collect(self) -> Iterator[Metric]:
        labels = ["method", "route"]
        requests = CounterMetricFamily(
            f"{PREFIX}_http_requests", "HTTP requests by route template and status class", labels=[*labels, "status"]
        )
        duration = HistogramMetricFamily(
            f"{PREFIX}_http_request_duration_seconds", "Request latency by route template", labels=labels
        )
        statements = CounterMetricFamily(f"{PREFIX}_db_statements", "SQL statements run by requests", labels=labels)
        db_time = CounterMetricFamily(f"{PREFIX}_db_time_seconds", "Time spent in SQL statements", labels=labels)
        slow = CounterMetricFamily(f"{PREFIX}_slow_queries", "Statements slower than slow_query_ms", labels=labels)
        n_plus_one = CounterMetricFamily(f"{PREFIX}_n_plus_one", "Requests flagged with an N+1 pattern", labels=labels)
        cache = CounterMetricFamily(
            f"{PREFIX}_cache_lookups", "Response cache results seen by monitoring", labels=[*labels, "result"]
        )
        for (method, route), value in sorted(self.figures.items()):
            key = [method, route]
            for status, count in zip(_STATUS_CLASSES, value.status_classes, strict=True):
                if count:
                    requests.add_metric([*key, status], count)
            if value.latency.count:
                cumulative = value.latency.cumulative(PROMETHEUS_BOUNDS)
                buckets = [*zip(_LE, cumulative, strict=True), ("+Inf", value.latency.count)]
                duration.add_metric(key, buckets, sum_value=value.latency.total)
                statements.add_metric(key, value.statements)
                db_time.add_metric(key, value.db_time_us / 1_000_000)
                n_plus_one.add_metric(key, value.n_plus_one)
            if value.slow_queries:
                slow.add_metric(key, value.slow_queries)
            if value.cache_hits or value.cache_misses:
                cache.add_metric([*key, "hit"], value.cache_hits)
                cache.add_metric([*key, "miss"], value.cache_misses)
        workers = GaugeMetricFamily(
            f"{PREFIX}_monitoring_workers", "Workers whose figures this output combines", value=self.workers
        )
        yield from (requests, duration, statements, db_time, slow, n_plus_one, cache, workers)


def build_registry(collector: TotalsCollector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry
