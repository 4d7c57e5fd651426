"""The hot path: per-statement and per-request bookkeeping in memory, O(1) per call.

Everything here runs inside hook calls on the event loop thread, so no locks are needed:
:meth:`Recorder.take` swaps the pending figures out in one assignment and the background
flusher works on the snapshot.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from modular_server.plugins.monitoring.counters import Counters
from modular_server.plugins.monitoring.histogram import Histogram
from modular_server.plugins.monitoring.logthrottle import LogThrottle
from modular_server.plugins.monitoring.looplag import LoopLag

if TYPE_CHECKING:
    from modular_server.plugin import QueryInfo, RequestContext
    from modular_server.plugins.monitoring.settings import MonitoringSettings

log = logging.getLogger("modular_server.monitoring")

TRACE_KEY = "monitoring"
#: route label of requests that matched no route template (non-/api paths, 404s) - never the raw path
OTHER_ROUTE = "(other)"
#: route label of statements outside any request (background jobs)
BACKGROUND_ROUTE = "(background)"
_DML = frozenset(("INSERT", "UPDATE", "DELETE"))
#: set inside the plugin's own background work, whose statements are not monitored
FLUSHING: ContextVar[bool] = ContextVar("modular_server_monitoring_flushing", default=False)

RouteKey = tuple[str, str]  # (method, route template)


@dataclass(slots=True)
class RouteFigures(Counters):
    """Figures of one route (the counters, requests by status class, latency); the same shape
    serves windows, deltas and totals."""

    status_classes: list[int] = field(default_factory=lambda: [0] * 5)  # 1xx .. 5xx
    latency: Histogram = field(default_factory=Histogram)

    @property
    def requests(self) -> int:
        return sum(self.status_classes)

    def merge(self, other: RouteFigures) -> None:
        for index, n in enumerate(other.status_classes):
            self.status_classes[index] += n
        self.merge_counters(other)
        self.latency.merge(other.latency)


@dataclass(slots=True)
class SlowStatement:
    occurred_at: datetime
    method: str | None
    route: str | None
    fingerprint: str
    duration: float
    is_select: bool
    dialect: str


@dataclass(slots=True)
class NPlusOneEvent:
    occurred_at: datetime
    method: str
    route: str
    fingerprint: str
    count: int


@dataclass(slots=True)
class RequestTrace:
    """Per-request statement counts by fingerprint (kept in ``ctx.extras``)."""

    counts: dict[str, int] = field(default_factory=dict)
    flagged: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Snapshot:
    """What a flush persists: the figures recorded between ``since`` and ``until`` (epoch
    seconds) and the pending records."""

    since: float
    until: float
    figures: dict[RouteKey, RouteFigures]
    slow: list[SlowStatement]
    n_plus_one: list[NPlusOneEvent]


class Recorder:
    def __init__(self, settings: MonitoringSettings, loop_lag: LoopLag | None = None) -> None:
        self.slow_seconds = settings.slow_query_ms / 1000
        self.slow_log = LogThrottle(settings.slow_query_log_interval_seconds)
        #: with a sampler, the time the event loop was late during a statement is not counted
        #: against the statement (without one, e.g. in unit tests, every second is)
        self.loop_lag = loop_lag
        #: statements over the threshold only because the event loop was late (not recorded as
        #: slow queries; logged as stalls of the process)
        self.delayed_by_loop = 0
        self.stall_log = LogThrottle(settings.slow_query_log_interval_seconds)
        self.threshold = settings.n_plus_one_threshold
        self.strict = settings.strict_n_plus_one
        self.pending: dict[RouteKey, RouteFigures] = {}
        self.since = time.time()
        self.slow: deque[SlowStatement] = deque(maxlen=settings.max_pending_records)
        self.n_plus_one: deque[NPlusOneEvent] = deque(maxlen=settings.max_pending_records)

    def _figures(self, key: RouteKey) -> RouteFigures:
        figures = self.pending.get(key)
        if figures is None:
            figures = self.pending[key] = RouteFigures()
        return figures

    # --- hooks -----------------------------------------------------------------------------

    def statement(self, ctx: RequestContext | None, query: QueryInfo) -> None:
        if FLUSHING.get():
            return
        if query.duration > self.slow_seconds:
            self._over_threshold(ctx, query)
        if ctx is None or query.executemany:
            return
        fingerprint = query.fingerprint
        if not query.is_select and fingerprint[:6].upper() not in _DML:
            return  # BEGIN, SAVEPOINT, PRAGMA ... repeat legitimately
        trace = ctx.extras.get(TRACE_KEY)
        if trace is None:
            trace = ctx.extras[TRACE_KEY] = RequestTrace()
        seen = trace.counts.get(fingerprint, 0) + 1
        trace.counts[fingerprint] = seen
        if seen == self.threshold + 1:
            trace.flagged.append(fingerprint)
            if self.strict:
                ctx.buffer_response = True  # so before_response can replace the body

    def _over_threshold(self, ctx: RequestContext | None, query: QueryInfo) -> None:
        """A slow query - unless the time over the threshold was the event loop's (then the
        database answered in time and the process was stalled: logged as such)."""
        late = 0.0
        if self.loop_lag is not None and self.slow_seconds > 0:  # 0 records every statement
            end = self.loop_lag.clock()
            late = self.loop_lag.during(end - query.duration, end)
        if query.duration - late > self.slow_seconds:
            self._slow(ctx, query, late)
            return
        self.delayed_by_loop += 1
        left_out = self.stall_log.admit("loop")
        if left_out is not None:
            more = f" ({left_out} more since the last such line)" if left_out else ""
            log.warning(
                "event loop stalled: a statement %s took %.1f ms, %.1f ms of it waiting for this process's "
                "event loop (not counted as a slow query)%s",
                _where(ctx),
                query.duration * 1000,
                late * 1000,
                more,
            )

    def _slow(self, ctx: RequestContext | None, query: QueryInfo, late: float) -> None:
        method, route = (ctx.method, ctx.route or OTHER_ROUTE) if ctx else (None, None)
        self._figures((method or "-", route or BACKGROUND_ROUTE)).slow_queries += 1
        self.slow.append(
            SlowStatement(
                occurred_at=datetime.now(UTC),
                method=method,
                route=route,
                fingerprint=query.fingerprint,
                duration=query.duration,
                is_select=query.is_select,
                dialect=query.dialect,
            )
        )
        left_out = self.slow_log.admit(query.fingerprint)
        if left_out is not None:
            more = f" ({left_out} more since this statement's last line)" if left_out else ""
            loop = f", {late * 1000:.1f} ms of it waiting for the event loop" if late >= 0.001 else ""
            log.warning(
                "slow query (%.1f ms%s) %s: %s%s", query.duration * 1000, loop, _where(ctx), query.fingerprint, more
            )

    def finished(self, ctx: RequestContext, status: int) -> None:
        route = ctx.route or OTHER_ROUTE
        figures = self._figures((ctx.method, route))
        figures.status_classes[min(max(status // 100, 1), 5) - 1] += 1
        figures.latency.record(ctx.elapsed)
        statements = ctx.db_statements
        figures.statements += statements
        if statements > figures.max_statements:
            figures.max_statements = statements
        figures.db_time_us += int(ctx.db_time * 1_000_000)
        cache_status = ctx.cache_status
        if cache_status:
            if cache_status.startswith("hit"):
                figures.cache_hits += 1
            elif cache_status.startswith("miss"):
                figures.cache_misses += 1
        trace: RequestTrace | None = ctx.extras.get(TRACE_KEY)
        if trace is not None and trace.flagged:
            self._n_plus_one(ctx.method, route, trace, figures)

    def _n_plus_one(self, method: str, route: str, trace: RequestTrace, figures: RouteFigures) -> None:
        now = datetime.now(UTC)
        for fingerprint in trace.flagged:
            count = trace.counts[fingerprint]
            figures.n_plus_one += 1
            self.n_plus_one.append(NPlusOneEvent(now, method, route, fingerprint, count))
            log.warning("N+1 query pattern on %s %s: %d executions of %s", method, route, count, fingerprint)

    # --- flushing --------------------------------------------------------------------------

    def take(self) -> Snapshot:
        now = time.time()
        snapshot = Snapshot(self.since, now, self.pending, list(self.slow), list(self.n_plus_one))
        self.pending, self.since = {}, now
        self.slow.clear()
        self.n_plus_one.clear()
        return snapshot

    def give_back(self, snapshot: Snapshot) -> None:
        """Put a snapshot that could not be persisted back (the records stay bounded)."""
        for key, figures in snapshot.figures.items():
            self._figures(key).merge(figures)
        self.since = min(self.since, snapshot.since)
        self.slow.extendleft(reversed(snapshot.slow))
        self.n_plus_one.extendleft(reversed(snapshot.n_plus_one))


def _where(ctx: RequestContext | None) -> str:
    return f"on {ctx.method} {ctx.route or OTHER_ROUTE}" if ctx else "in background work"
