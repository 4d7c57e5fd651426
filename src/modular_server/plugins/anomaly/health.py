"""The plugin's health check: the detector (started, last error, models loaded)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from modular_server.plugin import HealthResult, host_of
from modular_server.plugins.anomaly import NAME

if TYPE_CHECKING:
    from fastapi import FastAPI


def checks(app: FastAPI) -> dict[str, Callable[[], Awaitable[HealthResult]]]:
    async def detector() -> HealthResult:
        runtime = host_of(app).data.get(NAME)
        if runtime is None:
            return HealthResult("fail", "not started")
        if runtime.last_error:
            return HealthResult("degraded", runtime.last_error)
        trained = len(runtime.models)
        return HealthResult("ok", f"{trained} models loaded" if trained else "no model trained yet")

    return {"detector": detector}
