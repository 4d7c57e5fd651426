"""The plugin's health check: whether the recorded figures are being persisted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from modular_server.plugin import HealthResult, host_of
from modular_server.plugins.monitoring import NAME

if TYPE_CHECKING:
    from fastapi import FastAPI


def checks(app: FastAPI) -> dict[str, Callable[[], Awaitable[HealthResult]]]:
    async def flushing() -> HealthResult:
        monitor = host_of(app).data.get(NAME)
        error = monitor.last_flush_error if monitor is not None else "not started"
        return HealthResult("degraded", f"figures not persisted: {error}") if error else HealthResult("ok")

    return {"monitoring": flushing}
