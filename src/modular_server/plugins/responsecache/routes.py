"""Admin endpoints of the response cache."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from modular_server.hooks import requires_scope
from modular_server.plugins.responsecache.runtime import ResponseCache
from modular_server.plugins.responsecache.schemas import InvalidateIn, InvalidateOut, StatsOut

router = APIRouter(prefix="/api/v1/cache", tags=["cache"])


def _cache(request: Request) -> ResponseCache:
    return request.app.state.host.data["cache"]


@router.get("/stats", summary="Hits, misses, evictions, size, per-route figures and Redis state of this process")
@requires_scope("admin")
async def stats(request: Request) -> StatsOut:
    return StatsOut.model_validate(_cache(request).stats())


@router.post("/invalidate", summary="Invalidate every cached response carrying one of the tags, in every process")
@requires_scope("admin")
async def invalidate(request: Request, body: InvalidateIn) -> InvalidateOut:
    pending = _cache(request).invalidate(body.tags)
    shared = await pending if pending is not None else False
    return InvalidateOut(tags=sorted(set(body.tags)), shared=bool(shared))


@router.post("/clear", status_code=204, summary="Drop every cached response, in every process")
@requires_scope("admin")
async def clear(request: Request) -> Response:
    await _cache(request).clear()
    return Response(status_code=204)
