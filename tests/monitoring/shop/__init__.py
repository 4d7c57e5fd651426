"""A test plugin with a small table of its own: a deliberately N+1 route and its fixed twin,
a templated route, a slow statement and routes that carry a secret value in parameters."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from fastapi import APIRouter

from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="monshop", version="0.0.1", prefixes=("/api/v1/monshop",))


@hookimpl
def register_models() -> list[ModuleType]:
    from tests.monitoring.shop import models

    return [models]


@hookimpl
def migration_locations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def register_routes() -> list[APIRouter]:
    from tests.monitoring.shop.routes import router

    return [router]
