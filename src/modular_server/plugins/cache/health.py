"""The plugin's health check: whether Redis (L2 and the invalidation channel) is usable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from modular_server.plugin import HealthResult, host_of
from modular_server.plugins.cache.runtime import NAME

if TYPE_CHECKING:
    from fastapi import FastAPI


def checks(app: FastAPI) -> dict[str, Callable[[], Awaitable[HealthResult]]]:
    async def redis() -> HealthResult:
        runtime = host_of(app).data.get(NAME)
        return HealthResult("fail", "not started") if runtime is None else runtime.health()

    return {"redis": redis}
