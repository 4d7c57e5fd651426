"""The monitoring plugin: per-route profiling, slow-query and N+1 detection, Prometheus
metrics, an admin API and the /db-performance dashboard.

Hot path: ``query_executed`` and ``request_finished`` do O(1) in-memory bookkeeping
(:mod:`.recorder`); a background task persists aggregates every ``flush_interval_seconds``.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from modular_server.plugin import PluginSpec, hookimpl, host_of

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from fastapi import APIRouter, FastAPI

    from modular_server.plugin import HealthResult, QueryInfo, RequestContext, ResponseInfo
    from modular_server.plugins.monitoring.settings import MonitoringSettings

NAME = "monitoring"
# name, requires, prefixes, commands: plugin.toml (read by the kernel without importing us)
PLUGIN = PluginSpec.from_manifest(__name__)


@hookimpl
def plugin_settings() -> type[MonitoringSettings]:
    from modular_server.plugins.monitoring.settings import MonitoringSettings

    return MonitoringSettings


@hookimpl
def register_models() -> list[ModuleType]:
    from modular_server.plugins.monitoring import models

    return [models]


@hookimpl
def migration_locations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def register_routes() -> list[APIRouter]:
    from modular_server.plugins.monitoring.routes import api, public

    return [api, public]


@hookimpl
async def startup(app: FastAPI, settings: MonitoringSettings) -> None:
    if getattr(app.state, "cli_command", None):
        # a `modular-server` command (demo-data, keys...) is not traffic: its statements would
        # show as slow queries without a route and its flushes as one more worker
        return
    from modular_server.plugins.monitoring.runtime import Monitor

    monitor = Monitor(app, settings)
    host_of(app).data[NAME] = monitor
    await monitor.start()


@hookimpl
async def shutdown(app: FastAPI) -> None:
    monitor = host_of(app).data.pop(NAME, None)
    if monitor is not None:
        await monitor.stop()


@hookimpl
def health_checks(app: FastAPI) -> dict[str, Callable[[], Awaitable[HealthResult]]]:
    from modular_server.plugin import HealthResult

    async def flushing() -> HealthResult:
        monitor = host_of(app).data.get(NAME)
        error = monitor.last_flush_error if monitor is not None else "not started"
        return HealthResult("degraded", f"figures not persisted: {error}") if error else HealthResult("ok")

    return {"monitoring": flushing}


@hookimpl
def query_executed(app: FastAPI, ctx: RequestContext | None, query: QueryInfo) -> None:
    monitor = host_of(app).data.get(NAME) if app is not None else None
    if monitor is not None:  # None before startup (e.g. during migrations) and after shutdown
        monitor.recorder.statement(ctx, query)


@hookimpl
def before_response(app: FastAPI, ctx: RequestContext, response: ResponseInfo) -> None:
    monitor = host_of(app).data.get(NAME)
    if monitor is None:
        return
    statements = ctx.db_statements
    response.set_header(
        "server-timing",
        f'app;dur={ctx.elapsed * 1000:.2f}, db;dur={ctx.db_time * 1000:.2f};desc="{statements} statements"',
    )
    response.set_header("x-query-count", str(statements))
    recorder = monitor.recorder
    if recorder.strict:
        _refuse_n_plus_one(ctx, response, recorder.threshold)


def _refuse_n_plus_one(ctx: RequestContext, response: ResponseInfo, threshold: int) -> None:
    """strict_n_plus_one: turn a (buffered) response of a request with an N+1 pattern into a 500."""
    from modular_server.plugin import PROBLEM_MEDIA_TYPE, problem_body
    from modular_server.plugins.monitoring.recorder import TRACE_KEY

    trace: Any = ctx.extras.get(TRACE_KEY)
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


@hookimpl
def request_finished(app: FastAPI, ctx: RequestContext, response: ResponseInfo) -> None:
    monitor = host_of(app).data.get(NAME)
    if monitor is not None:
        monitor.recorder.finished(ctx, response.status)
