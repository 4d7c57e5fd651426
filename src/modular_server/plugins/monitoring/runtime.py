"""The plugin's runtime object (in ``host_of(app).data["monitoring"]``): the recorder, the
background flusher and cleanup job (each a :class:`Periodic`), the totals behind /metrics."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeVar

from modular_server.plugin import PROBLEM_MEDIA_TYPE, Periodic, host_of, problem_body
from modular_server.plugins.monitoring.explain import PlanExplainer
from modular_server.plugins.monitoring.looplag import LoopLag, interval_for
from modular_server.plugins.monitoring.metrics import TotalsCollector, build_registry
from modular_server.plugins.monitoring.recorder import FLUSHING, TRACE_KEY, Recorder, RequestTrace
from modular_server.plugins.monitoring.service import persist, remove_older_than
from modular_server.plugins.monitoring.totals import LocalTotals, RedisTotals

if TYPE_CHECKING:
    from fastapi import FastAPI

    from modular_server.plugin import RequestContext, ResponseInfo
    from modular_server.plugins.monitoring.settings import MonitoringSettings

log = logging.getLogger("modular_server.monitoring")
ASSETS = ("dashboard.html", "dashboard.js", "dashboard.css")
T = TypeVar("T")


async def start_monitor(app: FastAPI, settings: MonitoringSettings) -> Monitor | None:
    """The started monitor of ``app``; None under a ``modular-server`` command (demo-data,
    keys...): that is not traffic, its statements would show as slow queries without a route
    and its flushes as one more worker."""
    if getattr(app.state, "cli_command", None):
        return None
    monitor = Monitor(app, settings)
    await monitor.start()
    return monitor


class Monitor:
    def __init__(self, app: FastAPI, settings: MonitoringSettings) -> None:
        core = app.state.settings
        self.app = app
        self.settings = settings
        self.db = app.state.db
        self.worker = f"{socket.gethostname()[:16]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.loop_lag = LoopLag()
        self.recorder = Recorder(settings, self.loop_lag)
        self.explainer = PlanExplainer(core.database_url, settings)
        self.totals: LocalTotals | RedisTotals = LocalTotals()
        if app.state.redis is not None:
            # the app's shared Redis pool and the deployment's key prefix
            self.totals = RedisTotals(
                app.state.redis,
                core.redis_prefix,
                self.worker,
                stale_after=3 * settings.flush_interval_seconds,
            )
        elif core.workers > 1:
            log.warning(
                "monitoring: %d workers without redis_url - /metrics shows the answering worker's figures only; "
                "set MODULAR_SERVER_REDIS_URL to combine them",
                core.workers,
            )
        self.collector = TotalsCollector()
        self.registry = build_registry(self.collector)
        static = resources.files(__package__) / "static"
        self.assets = {name: (static / name).read_text(encoding="utf-8") for name in ASSETS}
        self.last_flush_error: str | None = None
        self._lock = asyncio.Lock()
        self._loops = [
            Periodic(seconds, _unmonitored(job), name=name, plugin="monitoring", host=host_of(app))
            for name, seconds, job in (
                ("flush", settings.flush_interval_seconds, self._flush),
                ("cleanup", settings.cleanup_interval_seconds, self._cleanup),
            )
        ]
        # the loop-lag timer: its wait is the measurement, its work nothing (with a threshold of
        # 0 every statement is recorded: nothing to measure)
        if settings.slow_query_ms > 0:
            self._loops.append(
                Periodic(
                    interval_for(settings.slow_query_ms / 1000),
                    _nothing,
                    name="loop-lag",
                    plugin="monitoring",
                    host=host_of(app),
                    sleep=self.loop_lag.sleep,
                )
            )

    async def start(self) -> None:
        for periodic in self._loops:
            periodic.start()

    async def stop(self) -> None:
        for periodic in self._loops:
            await periodic.stop()
        await self.flush()
        await self.explainer.close()
        try:
            await self.totals.close()
        except Exception as exc:  # Redis gone at shutdown: nothing left to protect
            log.warning("monitoring: closing the totals store failed: %s", exc)

    async def flush(self) -> None:
        """Persist what was recorded so far (and push it to Redis)."""
        await self._isolated(self._flush)

    async def clear_old_data(self) -> dict[str, Any]:
        """Remove persisted figures older than ``retention_days``."""
        return await self._isolated(self._cleanup)

    async def _isolated(self, job: Callable[[], Awaitable[T]]) -> T:
        """Run ``job`` in a fresh context: its statements are neither monitored nor attributed
        to the request that asked for it (the admin API and /metrics flush before answering)."""
        return await asyncio.get_running_loop().create_task(_unmonitored(job)(), context=contextvars.Context())

    async def _flush(self) -> None:
        async with self._lock:
            snapshot = self.recorder.take()
            if snapshot.figures or snapshot.slow or snapshot.n_plus_one:
                try:
                    await persist(self.db, self.worker, snapshot, self.settings.bucket_seconds, self.explainer)
                except Exception as exc:
                    self.recorder.give_back(snapshot)
                    self.last_flush_error = f"{type(exc).__name__}: {exc}"
                    log.error("monitoring: persisting figures failed (kept in memory): %s", self.last_flush_error)
                    return
            self.last_flush_error = None
            try:
                await self.totals.add(snapshot.figures)
            except Exception as exc:  # the deltas stay queued for the next flush
                log.warning("monitoring: pushing totals to Redis failed: %s: %s", type(exc).__name__, exc)

    async def _cleanup(self) -> dict[str, Any]:
        cutoff, removed = await remove_older_than(self.db, self.settings.retention_days)
        if any(removed.values()):
            log.info("monitoring: removed figures older than %s: %s", cutoff.isoformat(), removed)
        return {"older_than": cutoff, **removed}

    def before_response(self, ctx: RequestContext, response: ResponseInfo) -> None:
        """Timing headers on every response; with ``strict_n_plus_one``, a 500 instead of a
        response whose request ran one statement per row."""
        statements = ctx.db_statements
        response.set_header(
            "server-timing",
            f'app;dur={ctx.elapsed * 1000:.2f}, db;dur={ctx.db_time * 1000:.2f};desc="{statements} statements"',
        )
        response.set_header("x-query-count", str(statements))
        if self.recorder.strict:
            _refuse_n_plus_one(ctx, response, self.recorder.threshold)

    def cache_plugin_stats(self) -> dict[str, Any] | None:
        """The cache plugin's own figures, if it is serving and offers ``stats()``."""
        host = host_of(self.app)
        if not host.is_serving("cache"):
            return None
        stats = getattr(host.data.get("cache"), "stats", None)
        if not callable(stats):
            return None
        try:
            found = stats()
        except Exception as exc:  # another plugin's code: never let it break the dashboard
            log.warning("monitoring: cache stats() failed: %s", exc)
            return None
        return dict(found) if isinstance(found, dict) else None


async def _nothing() -> None:
    return None


def _unmonitored(job: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T]]:
    """``job`` marking its context as the flusher's, so its own statements are not recorded
    (call it in a context of its own: a Periodic's loop, or a fresh task)."""

    async def run() -> T:
        FLUSHING.set(True)
        return await job()

    return run


def _refuse_n_plus_one(ctx: RequestContext, response: ResponseInfo, threshold: int) -> None:
    """strict_n_plus_one: turn a (buffered) response of a request with an N+1 pattern into a 500."""
    trace: RequestTrace | None = ctx.extras.get(TRACE_KEY)
    if trace is None or not trace.flagged or response.body is None:
        return
    fingerprint = trace.flagged[0]
    response.status = 500
    response.body = problem_body(
        500,
        f"{ctx.method} {ctx.route} ran one statement {trace.counts[fingerprint]} times "
        f"(n_plus_one_threshold {threshold}); load the rows in one query",
        slug="n-plus-one-query",
        title="N+1 query pattern detected",
        route=ctx.route,
        fingerprint=fingerprint,
        count=trace.counts[fingerprint],
        threshold=threshold,
    )
    response.set_header("content-type", PROBLEM_MEDIA_TYPE)
