"""A fake inventory for the cache tests: Sorten, Posten (batches of a Sorte) and Vorrat rows
(stock of a Posten). Its tags are declared only as metadata: ``Table.info["cache_tag"]``
and ``@cached`` policies; it never calls the cache. Handler runs are counted per route."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

from fastapi import APIRouter

from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="kiosk", version="1.0.0", prefixes=("/api/v1/kiosk",))


@hookimpl
def register_models() -> list[ModuleType]:
    from tests.cache.kiosk import models

    return [models]


@hookimpl
def migration_locations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def register_routes() -> list[APIRouter]:
    from tests.cache.kiosk.routes import router

    return [router]


@hookimpl
def startup(app: Any) -> None:
    app.state.host.data["kiosk"] = {"calls": Counter(), "delay": 0.0}
