"""The lager plugin: Lager, Lagerorte, the movement ledger and stock balances."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(
    name="lager",
    version="0.1.0",
    description="Lager, Lagerorte, the movement ledger and stock balances",
    requires=("chargen",),
    prefixes=("/api/v1/lager", "/api/v1/lagerorte", "/api/v1/bestand", "/api/v1/bewegungen"),
)


@hookimpl
def register_models() -> list[ModuleType]:
    from modular_server.plugins.lager import models

    return [models]


@hookimpl
def migration_locations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"
