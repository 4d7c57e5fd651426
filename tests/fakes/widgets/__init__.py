"""A fake plugin with tables, its own migrations, routes of every scope and a health check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from fastapi import APIRouter

from modular_server.hooks import HealthResult, PluginSpec, hookimpl

PLUGIN = PluginSpec(name="widgets", version="1.0.0", prefixes=("/api/v1/widgets",))


@hookimpl
def register_models() -> list[ModuleType]:
    from tests.fakes.widgets import models

    return [models]


@hookimpl
def migration_locations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def register_routes() -> list[APIRouter]:
    from tests.fakes.widgets.routes import router

    return [router]


@hookimpl
def startup(app: Any) -> None:
    # tests switch this off to see /health/ready fail
    app.state.host.data["widgets"] = {"healthy": True}


@hookimpl
def health_checks(app: Any) -> dict[str, Callable[[], Awaitable[HealthResult]]]:
    async def supplier() -> HealthResult:
        if app.state.host.data["widgets"]["healthy"]:
            return HealthResult("ok")
        return HealthResult("fail", "widget supplier unreachable")

    return {"supplier": supplier}
