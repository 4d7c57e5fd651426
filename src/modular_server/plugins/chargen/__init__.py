"""The chargen plugin: Chargen (batches) with MHD, status, recall and genealogy."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(
    name="chargen",
    version="0.1.0",
    description="Chargen (batches) with MHD, status, recall and genealogy",
    requires=("artikel",),
    prefixes=("/api/v1/chargen",),
)


@hookimpl
def register_models() -> list[ModuleType]:
    from modular_server.plugins.chargen import models

    return [models]


@hookimpl
def migration_locations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"
