"""The reservierungen plugin: Batch reservations with FEFO allocation."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(
    name="reservierungen",
    version="0.1.0",
    description="Batch reservations with FEFO allocation",
    requires=("lager",),
    prefixes=("/api/v1/reservierungen",),
)


@hookimpl
def register_models() -> list[ModuleType]:
    from modular_server.plugins.reservierungen import models

    return [models]


@hookimpl
def migration_locations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"
