"""Operational anomalies: per-route windows of the monitoring plugin, scored like movements.

Protocol with monitoring (read, never imported): while it serves, its table
``monitoring_route_window`` holds per worker, route template and time bucket the columns
``bucket_start, method, route, requests, statements, server_errors`` and ``latency`` (JSON
``{"counts": {bucket: n}, "sum": seconds}``). A bucket is complete once
``bucket_seconds + flush_interval_seconds`` (monitoring's settings) have passed since its start.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import median
from typing import Any

WINDOW_TABLE = "monitoring_route_window"
FEATURES = (
    "log_latency_ms",
    "log_latency_ratio",
    "statements_per_request",
    "log_statements_ratio",
    "error_share",
    "log_requests",
)


@dataclass(slots=True)
class Window:
    """One route during one bucket, summed over every worker."""

    start: datetime
    route: str
    requests: int = 0
    statements: int = 0
    server_errors: int = 0
    latency_seconds: float = 0.0
    timed: int = 0

    @property
    def latency_ms(self) -> float:
        return 1000 * self.latency_seconds / self.timed if self.timed else 0.0

    @property
    def statements_per_request(self) -> float:
        return self.statements / self.requests if self.requests else 0.0


def aggregate(rows: Iterable[Any], min_requests: int) -> list[Window]:
    windows: dict[tuple[datetime, str], Window] = {}
    for row in rows:
        start = row.bucket_start if row.bucket_start.tzinfo else row.bucket_start.replace(tzinfo=UTC)
        route = f"{row.method} {row.route}"
        window = windows.setdefault((start, route), Window(start, route))
        window.requests += row.requests
        window.statements += row.statements
        window.server_errors += row.server_errors
        latency = row.latency or {}
        window.latency_seconds += float(latency.get("sum") or 0.0)
        window.timed += sum(int(n) for n in (latency.get("counts") or {}).values())
    return [w for w in windows.values() if w.requests >= min_requests]


def route_medians(windows: Sequence[Window]) -> dict[str, list[float]]:
    """Per route: median latency (ms) and median statements per request."""
    by_route: dict[str, list[Window]] = {}
    for window in windows:
        by_route.setdefault(window.route, []).append(window)
    return {
        route: [median(w.latency_ms for w in found), median(w.statements_per_request for w in found)]
        for route, found in by_route.items()
    }


def features(window: Window, medians: dict[str, list[float]]) -> list[float]:
    usual_latency, usual_statements = medians.get(window.route, [window.latency_ms, window.statements_per_request])
    return [
        math.log1p(window.latency_ms),
        math.log((window.latency_ms + 1) / (usual_latency + 1)),
        window.statements_per_request,
        math.log((window.statements_per_request + 1) / (usual_statements + 1)),
        window.server_errors / window.requests if window.requests else 0.0,
        math.log1p(window.requests),
    ]


def explain(window: Window, medians: dict[str, list[float]]) -> str:
    usual_latency, usual_statements = medians.get(window.route, [0.0, 0.0])
    found = []
    if usual_latency and window.latency_ms >= 2 * usual_latency:
        found.append(
            f"mean latency {window.latency_ms / usual_latency:.0f}x the usual for {window.route} "
            f"({window.latency_ms:.0f} ms, usually {usual_latency:.0f} ms)"
        )
    if window.statements_per_request >= 2 * max(usual_statements, 0.5):
        found.append(
            f"{window.statements_per_request:.0f} statements per request on {window.route}, "
            f"usually {usual_statements:.0f}"
        )
    if window.server_errors:
        found.append(f"{window.server_errors} of {window.requests} requests failed with 5xx")
    return "; ".join(found[:2]) or f"unusual load pattern on {window.route}"
