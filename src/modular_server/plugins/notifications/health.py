"""The plugin's health checks: the event queue and the stream fan-out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from modular_server.plugin import HealthResult, host_of
from modular_server.plugins.notifications import NAME

if TYPE_CHECKING:
    from fastapi import FastAPI

    from modular_server.plugins.notifications.runtime import NotificationsRuntime


def checks(app: FastAPI) -> dict[str, Callable[[], Awaitable[HealthResult]]]:
    def runtime() -> NotificationsRuntime | None:
        return host_of(app).data.get(NAME)

    async def queue() -> HealthResult:
        current = runtime()
        if current is None:
            return HealthResult("fail", "not started")
        if current.dropped:
            return HealthResult("degraded", f"{current.dropped} events dropped because the queue was full")
        return HealthResult("ok", f"{current.events.qsize()} events queued")

    async def fanout() -> HealthResult:
        current = runtime()
        if current is None:
            return HealthResult("fail", "not started")
        return current.fanout.health()

    return {"queue": queue, "fanout": fanout}
