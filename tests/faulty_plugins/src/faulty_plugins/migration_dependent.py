"""Healthy itself; requires ``faulty_migration``, so it is skipped when that one fails."""

from typing import Any

from faulty_plugins.armed import ping_router
from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(
    name="faulty_migration_dependent",
    requires=("faulty_migration",),
    prefixes=("/api/v1/faulty_migration_dependent",),
)


@hookimpl
def register_routes() -> list[Any]:
    return [ping_router("faulty_migration_dependent")]
