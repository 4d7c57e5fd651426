"""The monitoring plugin: per-route profiling, slow-query and N+1 detection, Prometheus
metrics, an admin API and the /db-performance dashboard.

Hot path: ``query_executed`` and ``request_finished`` do O(1) in-memory bookkeeping
(:mod:`.recorder`); a background task persists aggregates every ``flush_interval_seconds``
(:mod:`.runtime`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modular_server.plugin import PluginSpec, hookimpl, host_of

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from fastapi import APIRouter, FastAPI

    from modular_server.plugin import HealthResult, QueryInfo, RequestContext, ResponseInfo
    from modular_server.plugins.monitoring.settings import MonitoringSettings

NAME = "monitoring"
# name, requires, prefixes, commands: plugin.toml (read by the kernel without importing us);
# its models and migrations: models.py and migrations/versions (the kernel's conventions)
PLUGIN = PluginSpec.from_manifest(__name__)


@hookimpl
def plugin_settings() -> type[MonitoringSettings]:
    from modular_server.plugins.monitoring.settings import MonitoringSettings

    return MonitoringSettings


@hookimpl
def register_routes() -> list[APIRouter]:
    from modular_server.plugins.monitoring.routes import api, public

    return [api, public]


@hookimpl
async def startup(app: FastAPI, settings: MonitoringSettings) -> None:
    from modular_server.plugins.monitoring.runtime import start_monitor

    monitor = await start_monitor(app, settings)
    if monitor is not None:
        host_of(app).data[NAME] = monitor


@hookimpl
async def shutdown(app: FastAPI) -> None:
    monitor = host_of(app).data.pop(NAME, None)
    if monitor is not None:
        await monitor.stop()


@hookimpl
def health_checks(app: FastAPI) -> dict[str, Callable[[], Awaitable[HealthResult]]]:
    from modular_server.plugins.monitoring.health import checks

    return checks(app)


@hookimpl
def query_executed(app: FastAPI, ctx: RequestContext | None, query: QueryInfo) -> None:
    monitor = host_of(app).data.get(NAME) if app is not None else None
    if monitor is not None:  # None before startup (e.g. during migrations) and after shutdown
        monitor.recorder.statement(ctx, query)


@hookimpl
def before_response(app: FastAPI, ctx: RequestContext, response: ResponseInfo) -> None:
    monitor = host_of(app).data.get(NAME)
    if monitor is not None:
        monitor.before_response(ctx, response)


@hookimpl
def request_finished(app: FastAPI, ctx: RequestContext, response: ResponseInfo) -> None:
    monitor = host_of(app).data.get(NAME)
    if monitor is not None:
        monitor.recorder.finished(ctx, response.status)
