"""The response cache: a two-level cache (in process, then Redis) for routes declared
``@cached``, invalidated automatically by committed changes.

Domain plugins never call it: it answers in ``lookup_response`` before the handler, stores in
``request_finished`` and evicts in ``changes_committed``; without it ``@cached`` is inert.
How responses and changes are named (tags) is in :mod:`.tags`; why a write is acknowledged
only after its invalidation, in :mod:`.runtime`; the Redis scheme in :mod:`.remote`; the
operator's view in ``docs/design/cache.md`` (settings: ``docs/configuration.md``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from modular_server.plugin import PluginSpec, hookimpl, host_of

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.datastructures import Headers

    from modular_server.plugin import CachedResponse, Change, HealthResult, RequestContext, ResponseInfo
    from modular_server.plugins.cache.settings import CacheSettings

NAME = "cache"
# name, requires, prefixes, commands: plugin.toml (read by the kernel without importing us);
# its routes: routes.router (the kernel's convention)
PLUGIN = PluginSpec.from_manifest(__name__)


@hookimpl
def plugin_settings() -> type[CacheSettings]:
    from modular_server.plugins.cache.settings import CacheSettings

    return CacheSettings


@hookimpl
async def startup(app: FastAPI, settings: CacheSettings) -> None:
    from modular_server.plugins.cache.runtime import start_cache

    host_of(app).data[NAME] = await start_cache(app, settings, PLUGIN.version)


@hookimpl
async def shutdown(app: FastAPI) -> None:
    runtime = host_of(app).data.pop(NAME, None)
    if runtime is not None:
        await runtime.stop()


@hookimpl
def lookup_response(
    app: FastAPI, ctx: RequestContext, headers: Headers
) -> CachedResponse | Awaitable[CachedResponse | None] | None:
    runtime = host_of(app).data.get(NAME)
    return None if runtime is None else runtime.lookup(ctx, headers)


@hookimpl
def before_response(app: FastAPI, ctx: RequestContext, response: ResponseInfo) -> None:
    if NAME in ctx.extras:
        host_of(app).data[NAME].before_response(ctx, response)


@hookimpl
def request_finished(app: FastAPI, ctx: RequestContext, response: ResponseInfo) -> Awaitable[None] | None:
    if NAME not in ctx.extras:
        return None
    return host_of(app).data[NAME].finished(ctx)


@hookimpl
def changes_committed(app: FastAPI, changes: list[Change]) -> Awaitable[Any] | None:
    runtime = host_of(app).data.get(NAME)
    return None if runtime is None else runtime.on_changes(changes)


@hookimpl
def health_checks(app: FastAPI) -> dict[str, Callable[[], Awaitable[HealthResult]]]:
    from modular_server.plugins.cache.health import checks

    return checks(app)
