"""/health/live and /health/ready (public; no API key)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from starlette.responses import JSONResponse

from modular_server.hooks.health import HealthResult

router = APIRouter(prefix="/health", tags=["health"])
CHECK_TIMEOUT_SECONDS = 2.0


class LivenessOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"]


class HealthCheckOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "degraded", "detail": "unreachable, in-process fallbacks in use"}]}
    )

    status: Literal["ok", "degraded", "fail"]
    detail: str = Field(description="why a check is degraded or failing; may be set when ok")


class ReadinessOut(BaseModel):
    """The answer of /health/ready (503 with the same body while a check fails)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "degraded",
                    "checks": {
                        "database": {"status": "ok", "detail": ""},
                        "redis": {"status": "degraded", "detail": "unreachable, in-process fallbacks in use"},
                        "notifications.queue": {"status": "ok", "detail": "0 events queued"},
                    },
                    "plugins": {"active": 8},
                }
            ]
        }
    )

    status: Literal["ok", "degraded", "fail"]
    checks: dict[str, HealthCheckOut] = Field(description="database, redis and every plugin check by name")
    plugins: dict[str, int] = Field(description="how many plugins are in each state")


@router.get("/live", summary="The process is up", response_model=LivenessOut)
async def live() -> dict[str, str]:
    return {"status": "ok"}


async def _run_check(check: Any) -> HealthResult:
    try:
        result = await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return HealthResult("fail", f"no answer within {CHECK_TIMEOUT_SECONDS}s")
    except Exception as exc:
        return HealthResult("fail", f"{type(exc).__name__}: {exc}")
    if not isinstance(result, HealthResult) or result.status not in ("ok", "degraded", "fail"):
        return HealthResult("fail", f"the check answered {type(result).__name__}, not a HealthResult")
    return result


async def plugin_checks(request: Request) -> list[tuple[str, HealthResult]]:
    """Every plugin's checks, run side by side. Whatever a plugin gets wrong (its hook raises or
    answers garbage, a check raises, hangs or returns something else) is that check's failure,
    named after the plugin; the other plugins' checks are unaffected."""
    named: list[tuple[str, Any]] = []
    for plugin, answer in request.app.state.host.collect_isolated("health_checks", app=request.app):
        if isinstance(answer, Exception):
            named.append((f"{plugin}.health_checks", _failing(f"the hook raised {type(answer).__name__}: {answer}")))
        elif not isinstance(answer, Mapping) or not all(isinstance(k, str) and callable(c) for k, c in answer.items()):
            named.append(
                (
                    f"{plugin}.health_checks",
                    _failing(f"the hook returned {type(answer).__name__}, not a mapping of names to checks"),
                )
            )
        else:
            named.extend((f"{plugin}.{name}", check) for name, check in answer.items())
    outcomes = await asyncio.gather(*(_run_check(check) for _, check in named))
    return [(key, outcome) for (key, _), outcome in zip(named, outcomes, strict=True)]


def _failing(detail: str) -> Any:
    async def check() -> HealthResult:
        return HealthResult("fail", detail)

    return check


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


@router.get(
    "/ready",
    summary="Database reachable, plugins and their checks",
    response_model=ReadinessOut,
    # a failing check answers 503 with the same report (JSON, not a problem document): a load
    # balancer only reads the status, an operator reads which check fails
    responses={503: {"model": ReadinessOut, "description": "A check fails (`status` is `fail`); the same report"}},
)
async def ready(request: Request) -> JSONResponse:
    host = request.app.state.host
    checks: dict[str, dict[str, str]] = {}
    result = await database_check(request)
    checks["database"] = {"status": result.status, "detail": result.detail}
    if request.app.state.redis is not None:
        result = await redis_check(request)
        checks["redis"] = {"status": result.status, "detail": result.detail}
    for key, outcome in await plugin_checks(request):
        checks[key] = {"status": outcome.status, "detail": outcome.detail}
    plugins: dict[str, int] = {}
    for record in host.records.values():
        plugins[record.state.value] = plugins.get(record.state.value, 0) + 1
        if record.state.value == "degraded":
            # serving, with its observers off: the instance is degraded, not unready
            checks[f"plugin.{record.name}"] = {"status": "degraded", "detail": record.reason}
    failing = any(c["status"] == "fail" for c in checks.values())
    degraded = any(c["status"] == "degraded" for c in checks.values()) or "degraded" in plugins
    status = "fail" if failing else "degraded" if degraded else "ok"
    return JSONResponse({"status": status, "checks": checks, "plugins": plugins}, status_code=503 if failing else 200)
