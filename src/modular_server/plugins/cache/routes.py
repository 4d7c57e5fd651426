"""Admin endpoints: figures, invalidation by tag, clearing everything."""

from fastapi import APIRouter, Request

from modular_server.plugin import host_of, requires_scope
from modular_server.plugins.cache.runtime import NAME, CacheRuntime
from modular_server.plugins.cache.schemas import InvalidateIn, InvalidateOut, StatsOut
from modular_server.plugins.cache.tags import ALL

router = APIRouter(prefix="/api/v1/cache", tags=["cache"])


def _runtime(request: Request) -> CacheRuntime:
    return host_of(request).data[NAME]


@router.get(
    "/stats",
    summary="Hits, misses, ratio, evictions, size, per-route figures and the state of Redis",
)
@requires_scope("admin")
async def stats(request: Request) -> StatsOut:
    return StatsOut.model_validate(_runtime(request).stats())


async def _invalidate(runtime: CacheRuntime, tags: list[str]) -> InvalidateOut:
    before = runtime.invalidated_entries
    pending = runtime.invalidate(tags)
    delivered = None if pending is None else await pending
    return InvalidateOut(
        tags=sorted(set(tags)),
        evicted_here=runtime.invalidated_entries - before,
        redis="not configured" if delivered is None else "delivered" if delivered else "owed",
    )


@router.post("/invalidate", summary="Evict every cached response filed under one of these tags, in every process")
@requires_scope("admin")
async def invalidate(request: Request, body: InvalidateIn) -> InvalidateOut:
    return await _invalidate(_runtime(request), body.tags)


@router.post("/clear", summary="Evict every cached response, in every process")
@requires_scope("admin")
async def clear(request: Request) -> InvalidateOut:
    return await _invalidate(_runtime(request), [ALL])
