"""Thin handlers: the admin API (/api/v1/performance), /metrics and the /db-performance dashboard."""

from __future__ import annotations

import hmac
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from modular_server.plugin import Page, Problem, ReadSession, bearer_token, host_of, requires_scope
from modular_server.plugins.monitoring import queries, summary
from modular_server.plugins.monitoring.runtime import Monitor
from modular_server.plugins.monitoring.schemas import (
    N_PLUS_ONE_EXAMPLE,
    ROUTE_STATS_EXAMPLE,
    SLOW_QUERY_EXAMPLE,
    CacheFigures,
    Cleared,
    DailySummary,
    NPlusOneOffender,
    RouteStats,
    SlowQueryOut,
    Stats,
)

NAME = "monitoring"
api = APIRouter(prefix="/api/v1/performance", tags=["performance"])
public = APIRouter(tags=["performance"])

Hours = Annotated[int, Query(ge=1, le=24 * 3650, description="look back this many hours")]
Limit = Annotated[int, Query(ge=1, le=500)]
DASHBOARD_HEADERS = {
    # the page's JS is served from here and talks only to this server: no CDN, nothing inline
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


METRICS_EXAMPLE = """\
# HELP modular_server_http_requests_total HTTP requests by route template and status class
# TYPE modular_server_http_requests_total counter
modular_server_http_requests_total{method="GET",route="/api/v1/artikel",status="2xx"} 1240.0
"""
DASHBOARD_EXAMPLE = '<!doctype html>\n<html lang="en"><head><title>Database performance</title>...</head>...</html>'


def _listed(example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answer of a list endpoint with one example item."""
    return {200: {"content": {"application/json": {"example": {"items": [example], "next_cursor": None}}}}}


def _monitor(request: Request) -> Monitor:
    return host_of(request).data[NAME]


def _window(hours: int) -> tuple[datetime, datetime]:
    until = datetime.now(UTC) + timedelta(seconds=1)
    return until - timedelta(hours=hours), until


@api.get("/stats", summary="Totals over the last hours (every worker)")
@requires_scope("admin")
async def stats(request: Request, session: ReadSession, hours: Hours = 24) -> Stats:
    monitor = _monitor(request)
    await monitor.flush()
    since, until = _window(hours)
    rows = await queries.route_windows(session, since, until)
    slow, n_plus_one = await queries.record_counts(session, since, until)
    agg = summary.total(rows)
    cache = None
    if host_of(request).is_serving("cache"):
        cache = CacheFigures(
            hits=agg.cache_hits,
            misses=agg.cache_misses,
            hit_ratio=agg.cache_hit_ratio,
            plugin=monitor.cache_plugin_stats(),
        )
    return Stats(
        since=since,
        until=until,
        requests=agg.requests,
        client_errors=agg.client_errors,
        server_errors=agg.server_errors,
        error_rate=round(agg.server_errors / agg.requests, 4) if agg.requests else None,
        latency=agg.latency_ms(),
        statements_mean=agg.statements_mean,
        statements_max=agg.max_statements,
        db_time_ms_mean=agg.db_time_ms_mean,
        slow_queries=slow,
        n_plus_one=n_plus_one,
        routes=len({(r.method, r.route) for r in rows}),
        workers=len({r.worker for r in rows}),
        cache=cache,
        refresh_seconds=monitor.settings.dashboard_refresh_seconds,
    )


@api.get(
    "/routes",
    summary="Per-route-template figures with one point per time bucket",
    responses=_listed(ROUTE_STATS_EXAMPLE),
)
@requires_scope("admin")
async def routes(request: Request, session: ReadSession, hours: Hours = 24) -> Page[RouteStats]:
    await _monitor(request).flush()
    since, until = _window(hours)
    return Page[RouteStats](
        items=summary.per_route(await queries.route_windows(session, since, until), with_series=True)
    )


@api.get(
    "/slow-queries",
    summary="The slowest statements (fingerprints, never values) with their plans",
    responses=_listed(SLOW_QUERY_EXAMPLE),
)
@requires_scope("admin")
async def slow_queries(
    request: Request, session: ReadSession, hours: Hours = 24, limit: Limit = 50
) -> Page[SlowQueryOut]:
    await _monitor(request).flush()
    since, until = _window(hours)
    rows = await queries.slowest_queries(session, since, until, limit)
    return Page[SlowQueryOut](
        items=[
            SlowQueryOut(
                id=r.id,
                occurred_at=summary.utc(r.occurred_at),
                method=r.method,
                route=r.route,
                fingerprint=r.fingerprint,
                duration_ms=round(r.duration_us / 1000, 3),
                dialect=r.dialect,
                plan=r.plan,
                plan_note=r.plan_note,
            )
            for r in rows
        ]
    )


@api.get(
    "/n-plus-one",
    summary="Routes that ran one statement shape more often than n_plus_one_threshold",
    responses=_listed(N_PLUS_ONE_EXAMPLE),
)
@requires_scope("admin")
async def n_plus_one(
    request: Request, session: ReadSession, hours: Hours = 24, limit: Limit = 50
) -> Page[NPlusOneOffender]:
    await _monitor(request).flush()
    since, until = _window(hours)
    rows = await queries.n_plus_one_offenders(session, since, until, limit)
    return Page[NPlusOneOffender](
        items=[
            NPlusOneOffender(
                method=r.method,
                route=r.route,
                fingerprint=r.fingerprint,
                occurrences=r.occurrences,
                max_count=r.max_count,
                last_seen=summary.utc(r.last_seen),
            )
            for r in rows
        ]
    )


@api.get("/daily-summary/{day}", summary="Figures of one UTC day (zeros for a day without data)")
@requires_scope("admin")
async def daily_summary(request: Request, session: ReadSession, day: date) -> DailySummary:
    await _monitor(request).flush()
    since = datetime.combine(day, time.min, tzinfo=UTC)
    until = since + timedelta(days=1)
    rows = await queries.route_windows(session, since, until)
    slow, n_plus_one = await queries.record_counts(session, since, until)
    agg = summary.total(rows)
    return DailySummary(
        date=day,
        requests=agg.requests,
        client_errors=agg.client_errors,
        server_errors=agg.server_errors,
        latency=agg.latency_ms(),
        statements_mean=agg.statements_mean,
        db_time_ms_mean=agg.db_time_ms_mean,
        slow_queries=slow,
        n_plus_one=n_plus_one,
        routes=summary.per_route(rows, with_series=False),
    )


@api.post("/clear-old-data", summary="Remove figures older than retention_days now")
@requires_scope("admin")
async def clear_old_data(request: Request) -> Cleared:
    return Cleared(**await _monitor(request).clear_old_data())


@public.get(
    "/metrics",
    summary="Prometheus metrics (bearer metrics_token when set)",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "Prometheus text exposition format 1.0.0",
            "content": {"text/plain": {"schema": {"type": "string"}, "example": METRICS_EXAMPLE}},
        },
        401: {"description": "metrics_token required", "content": {"application/problem+json": {}}},
    },
)
async def metrics(request: Request) -> Response:
    monitor = _monitor(request)
    token = monitor.settings.metrics_token
    if token is not None:
        given = bearer_token(request.headers) or ""
        if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
            raise Problem(
                401,
                "send the metrics token: Authorization: Bearer <metrics_token>",
                slug="unauthenticated",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    await monitor.flush()
    figures, workers = await monitor.totals.read()
    monitor.collector.load(figures, workers)
    return Response(generate_latest(monitor.registry), media_type=CONTENT_TYPE_LATEST)


@public.get(
    "/db-performance",
    summary="Database performance dashboard (HTML; data via the admin API)",
    response_class=HTMLResponse,
    responses={
        200: {
            "description": "The dashboard page; it loads its figures from /api/v1/performance",
            "content": {"text/html": {"schema": {"type": "string"}, "example": DASHBOARD_EXAMPLE}},
        }
    },
)
async def dashboard(request: Request) -> Response:
    monitor = _monitor(request)
    page = monitor.assets["dashboard.html"].replace(
        "{{refresh_seconds}}", str(monitor.settings.dashboard_refresh_seconds)
    )
    return Response(page, media_type="text/html; charset=utf-8", headers=DASHBOARD_HEADERS)


@public.get("/db-performance/dashboard.js", include_in_schema=False)
async def dashboard_script(request: Request) -> Response:
    return Response(_monitor(request).assets["dashboard.js"], media_type="text/javascript", headers=DASHBOARD_HEADERS)


@public.get("/db-performance/dashboard.css", include_in_schema=False)
async def dashboard_style(request: Request) -> Response:
    return Response(_monitor(request).assets["dashboard.css"], media_type="text/css", headers=DASHBOARD_HEADERS)
