"""The response cache: two levels (in-process, Redis), invalidated by committed changes.

Routes declare a policy with ``@cached`` (modular_server.hooks); this plugin answers from the
cache in ``lookup_response``, stamps ETag/Cache-Control/X-Cache in ``before_response``, stores
in ``request_finished`` and invalidates in ``changes_committed`` - domain plugins never call it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from modular_server.hooks import PluginSpec, hookimpl

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI
    from starlette.datastructures import Headers

    from modular_server.hooks import CachedResponse, Change, HealthResult, RequestContext, ResponseInfo
    from modular_server.plugins.responsecache.runtime import ResponseCache
    from modular_server.plugins.responsecache.settings import CacheSettings

NAME = "cache"

PLUGIN = PluginSpec(
    name=NAME,
    version="0.1.0",
    description="Two-level response cache (in-process, Redis) with tag invalidation on commit",
    prefixes=("/api/v1/cache",),
)


def _cache(app: FastAPI) -> ResponseCache | None:
    return app.state.host.data.get(NAME)


@hookimpl
def plugin_settings() -> type[CacheSettings]:
    from modular_server.plugins.responsecache.settings import CacheSettings

    return CacheSettings


@hookimpl
def register_routes() -> list[APIRouter]:
    from modular_server.plugins.responsecache.routes import router

    return [router]


@hookimpl
async def startup(app: FastAPI, settings: CacheSettings) -> None:
    from modular_server.plugins.responsecache.runtime import ResponseCache

    cache = ResponseCache(app, settings)
    await cache.start()
    app.state.host.data[NAME] = cache


@hookimpl
async def shutdown(app: FastAPI) -> None:
    cache = app.state.host.data.pop(NAME, None)
    if cache is not None:
        await cache.stop()


@hookimpl
def health_checks(app: FastAPI) -> dict[str, Callable[[], Awaitable[HealthResult]]]:
    cache = _cache(app)
    return {"redis": cache.health} if cache is not None else {}


@hookimpl
def lookup_response(app: FastAPI, ctx: RequestContext, headers: Headers) -> Awaitable[CachedResponse | None] | None:
    cache = _cache(app)
    return cache.lookup(ctx, headers) if cache is not None else None


@hookimpl
def before_response(app: FastAPI, ctx: RequestContext, response: ResponseInfo) -> None:
    cache = _cache(app)
    if cache is not None:
        cache.before_response(ctx, response)


@hookimpl
def request_finished(app: FastAPI, ctx: RequestContext, response: ResponseInfo) -> Awaitable[None] | None:
    cache = _cache(app)
    return cache.request_finished(ctx, response) if cache is not None else None


@hookimpl
def changes_committed(app: FastAPI, changes: list[Change]) -> Awaitable[Any] | None:
    cache = _cache(app)
    return cache.changes_committed(changes) if cache is not None else None
