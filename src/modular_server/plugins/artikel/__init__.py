"""The artikel plugin: Artikel and Einheiten (units with conversion)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from modular_server.plugin import PluginSpec, hookimpl

if TYPE_CHECKING:
    from fastapi import APIRouter

# name, requires, prefixes, commands: plugin.toml (read by the kernel without importing us)
PLUGIN = PluginSpec.from_manifest(__name__)


@hookimpl
def register_models() -> list[ModuleType]:
    from modular_server.plugins.artikel import models

    return [models]


@hookimpl
def migration_locations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def register_routes() -> list[APIRouter]:
    from modular_server.plugins.artikel.routes import router

    return [router]
