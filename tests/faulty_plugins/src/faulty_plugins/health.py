"""Health checks that go wrong in every way (``mode``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pydantic import BaseModel

from modular_server.hooks import HealthResult, PluginSpec, hookimpl

PLUGIN = PluginSpec(name="faulty_health", prefixes=("/api/v1/faulty_health",))


class HealthSettings(BaseModel):
    mode: Literal["off", "hook_raises", "hook_garbage", "check_hangs", "check_raises", "check_garbage"] = "off"


@hookimpl
def plugin_settings() -> type[HealthSettings]:
    return HealthSettings


@hookimpl
def health_checks(app: Any) -> Any:
    mode = app.state.host.settings_for("faulty_health").mode
    if mode == "hook_raises":
        raise KeyError("probe")
    if mode == "hook_garbage":
        return ["not", "a", "mapping"]

    async def hangs() -> HealthResult:
        await asyncio.Event().wait()
        return HealthResult("ok")

    async def raises() -> HealthResult:
        raise ConnectionRefusedError("probe target refused")

    async def garbage() -> Any:
        return "fine, probably"

    checks: dict[str, Callable[[], Awaitable[Any]]] = {
        "check_hangs": hangs,
        "check_raises": raises,
        "check_garbage": garbage,
    }
    return {"probe": checks[mode]} if mode in checks else {}
