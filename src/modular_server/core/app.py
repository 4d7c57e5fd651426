"""create_app(settings) -> FastAPI: the kernel, the data layer and every serving plugin."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi

from modular_server import __version__
from modular_server.core import docs, health, system
from modular_server.core.data import build_data_layer
from modular_server.core.errors import PROBLEM_BASE, PROBLEM_TYPES, install_error_handlers
from modular_server.core.limits import BodySizeLimit
from modular_server.core.logs import configure_logging
from modular_server.core.middleware import API_PREFIX, RequestLifecycle
from modular_server.core.openapi_ids import readable_operation_ids
from modular_server.core.openapi_links import add_links
from modular_server.core.openapi_problem import merged_error_response, problem_schema
from modular_server.core.pagination import Cursors
from modular_server.core.ratelimit import RateLimiter
from modular_server.core.redis_breaker import RedisBreaker
from modular_server.core.secret import require_own_secret, secret_key
from modular_server.core.security import ApiKeyAuthentication
from modular_server.core.sources import PluginSource, discover_entry_points
from modular_server.hooks.policy import scope_of
from modular_server.settings import Settings

log = logging.getLogger("modular_server")


def create_app(
    settings: Settings | None = None,
    *,
    sources: Sequence[PluginSource] | None = None,
    extra_sources: Iterable[PluginSource] = (),
    routes: bool = True,
) -> FastAPI:
    """Build the application. ``sources`` replaces entry-point discovery (tests);
    ``extra_sources`` adds plugins to the discovered ones; ``routes=False`` leaves the
    plugins' routers out (command-line tools that serve no request).

    Raises :class:`~modular_server.core.plugins.PluginStartupError` in strict mode when an
    enabled plugin cannot be loaded.
    """
    settings = settings or Settings()
    found = list(discover_entry_points() if sources is None else sources) + list(extra_sources)
    data = build_data_layer(settings, found, routes=routes)
    host, db, migrator = data.host, data.db, data.migrator

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started = False
        try:
            await migrator.ensure_current(settings.migrate_on_startup)
            await host.start(app)
            started = True
            host.raise_if_strict()
            for record in host.failures():
                log.warning("plugin %s is %s: %s", record.name, record.state.value, record.reason)
            yield
        finally:
            # also when starting failed (strict mode, schema behind): release what was acquired
            if started:
                await host.stop(app)
            await db.dispose()
            if app.state.redis is not None:
                await app.state.redis.aclose()

    app = FastAPI(
        title="modular-server",
        version=__version__,
        description="Inventory API: Artikel, Chargen, Lager, Reservierungen - and every plugin you enable.",
        lifespan=lifespan,
        docs_url=None,  # served by core.docs with local assets
        redoc_url=None,
    )
    db.app = app
    host.register_builtin(ApiKeyAuthentication(), "core.api_keys")
    host.rebuild_dispatch()
    app.state.settings = settings
    app.state.host = host
    app.state.db = db
    app.state.migrator = migrator
    app.state.keys = data.keys
    app.state.cursors = Cursors(secret_key(settings))

    # Routes are added flat (not through include_router): the middleware resolves each
    # request to its route template and owning plugin in one pass over app.router.routes.
    app.router.routes.extend(health.router.routes)
    app.router.routes.extend(system.router.routes)
    app.router.routes.extend(docs.docs_routes(app.title))
    route_owner: dict[int, str] = {}
    for record in host.active():
        for router in record.routers:
            app.router.routes.extend(router.routes)
            route_owner.update((id(route), record.name) for route in router.routes)
    app.state.route_owner = route_owner

    app.state.redis = _redis_client(settings)
    # one view of the shared pool's health: a failure seen by one user spares the others a timeout
    app.state.redis_breaker = RedisBreaker(
        "redis", settings.redis_retry_seconds, log, "rate limits and notification streams fall back to this process"
    )
    app.state.rate_limiter = (
        RateLimiter(
            settings.rate_limit_per_minute,
            settings.rate_limit_burst,
            app.state.redis,
            f"{settings.redis_prefix}rl:",
            app.state.redis_breaker,
        )
        if settings.rate_limit_per_minute
        else None
    )

    install_error_handlers(app)
    # Starlette wraps in reverse order: CORS sees the request first, then the lifecycle, which
    # answers the body limit's 413 like every other error (request id, security headers).
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestLifecycle, fastapi_app=app, host=host, route_owner=route_owner)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-None-Match", "X-Request-ID"],
            expose_headers=["ETag", "X-Cache", "X-Query-Count", "Server-Timing", "X-Request-ID", "Retry-After"],
        )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


FASTAPI_VALIDATION_DESCRIPTION = "Validation Error"
PROBLEM_RESPONSES = {
    "400": "Malformed request (e.g. a tampered cursor)",
    "401": "No valid API key",
    "403": "The API key lacks the required scope",
    "404": "Not found",
    "405": "Method not allowed",
    "409": "Conflict with stored state",
    "413": "Request body too large",
    "422": "Invalid input; `errors` names each field",
    "429": "Rate limit exceeded",
    "500": "Internal error; quote the request_id",
    "503": "A plugin or the database is unavailable",
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The schema with the bearer scheme and each operation's required scope."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schema.setdefault("components", {}).setdefault("securitySchemes", {})["apiKey"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer <key> (create one with `modular-server keys create`)",
    }
    problem_types = PROBLEM_TYPES
    schema["components"].setdefault("schemas", {})["Problem"] = problem_schema(problem_types, PROBLEM_BASE)
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    endpoints = {(getattr(r, "path", None), m): r.endpoint for r in app.routes for m in getattr(r, "methods", ()) or ()}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            # every error of every operation is a problem document (RFC 9457)
            responses = operation.setdefault("responses", {})
            for status, description in PROBLEM_RESPONSES.items():
                if path.startswith(API_PREFIX) or status in ("422", "500", "503") or status in responses:
                    declared = responses.get(status)
                    if declared is not None and declared.get("description") == FASTAPI_VALIDATION_DESCRIPTION:
                        declared = None  # FastAPI's own 422 (HTTPValidationError): we send a problem
                    responses[status] = merged_error_response(
                        declared, description, status, problem_types, PROBLEM_BASE
                    )
        if not path.startswith(API_PREFIX):
            continue
        for method, operation in operations.items():
            endpoint = endpoints.get((path, method.upper()))
            needed = "admin" if path.startswith("/api/v1/system/") else scope_of(endpoint, method.upper())
            operation["security"] = [{"apiKey": []}]
            operation["x-required-scope"] = needed
    readable_operation_ids(schema, {key: endpoint.__name__ for key, endpoint in endpoints.items()})
    add_links(schema)
    app.openapi_schema = schema
    return schema


def _redis_client(settings: Settings) -> Any:
    """The app's one Redis connection pool (None without ``redis_url``); plugins share it."""
    if not settings.redis_url:
        return None
    import redis.asyncio as redis  # the `redis` extra; only needed when redis_url is set

    return redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        health_check_interval=10,
    )


def app_factory() -> FastAPI:
    """Entry for ``uvicorn --factory`` (each worker builds its app from the environment).

    A bad setting ends the worker with one line on stderr, as the command line reports it."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from modular_server.settings.errors import describe_settings_error

    try:
        settings = Settings()
    except (ValidationError, SettingsError) as exc:
        print(f"error: invalid setting: {describe_settings_error(exc)}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings)
    # `serve` checks with its --workers first; this covers `uvicorn --factory` started directly
    require_own_secret(settings, settings.workers)
    app = create_app(settings)
    _freeze_startup_objects()
    return app


def _freeze_startup_objects() -> None:
    """Move what start-up built (modules, models, routes, schemas) out of the garbage
    collector's reach. Under load each worker ran a full collection every 7-8 s that walked all
    of it and stopped the event loop for 75-130 ms each time - the loop stalls behind Redis
    timeouts and phantom slow queries. Only the server's workers do this (not ``create_app``):
    a process building many apps (the test suite) would keep each one's objects forever."""
    gc.collect()
    gc.freeze()
