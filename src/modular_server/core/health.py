"""/health/live and /health/ready (public; no API key)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text
from starlette.responses import JSONResponse

from modular_server.hooks.health import HealthResult

router = APIRouter(prefix="/health", tags=["health"])
CHECK_TIMEOUT_SECONDS = 2.0


@router.get("/live", summary="The process is up")
async def live() -> dict[str, str]:
    return {"status": "ok"}


async def _run_check(check: Any) -> HealthResult:
    try:
        return await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return HealthResult("fail", f"no answer within {CHECK_TIMEOUT_SECONDS}s")
    except Exception as exc:
        return HealthResult("fail", f"{type(exc).__name__}: {exc}")


async def database_check(request: Request) -> HealthResult:
    async def ping() -> HealthResult:
        async with request.app.state.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return HealthResult("ok")

    return await _run_check(ping)


async def redis_check(request: Request) -> HealthResult:
    """Redis is an accelerator: unreachable makes the instance ``degraded``, never unready."""
    breaker = request.app.state.redis_breaker
    try:
        await asyncio.wait_for(request.app.state.redis.ping(), CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        breaker.failed("ping", exc)
        return HealthResult("degraded", f"unreachable, in-process fallbacks in use ({breaker.last_error})")
    breaker.succeeded()
    return HealthResult("ok")


@router.get("/ready", summary="Database reachable, plugins and their checks")
async def ready(request: Request) -> JSONResponse:
    host = request.app.state.host
    checks: dict[str, dict[str, str]] = {}
    result = await database_check(request)
    checks["database"] = {"status": result.status, "detail": result.detail}
    if request.app.state.redis is not None:
        result = await redis_check(request)
        checks["redis"] = {"status": result.status, "detail": result.detail}
    for plugin, named in host.collect("health_checks", app=request.app):
        for name, check in dict(named).items():
            outcome = await _run_check(check)
            checks[f"{plugin}.{name}"] = {"status": outcome.status, "detail": outcome.detail}
    plugins: dict[str, int] = {}
    for record in host.records.values():
        plugins[record.state.value] = plugins.get(record.state.value, 0) + 1
    failing = any(c["status"] == "fail" for c in checks.values())
    degraded = any(c["status"] == "degraded" for c in checks.values()) or "degraded" in plugins
    status = "fail" if failing else "degraded" if degraded else "ok"
    return JSONResponse({"status": status, "checks": checks, "plugins": plugins}, status_code=503 if failing else 200)
