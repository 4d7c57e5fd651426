"""Armed, its migration raises while the server starts; serves ``/api/v1/faulty_migration``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faulty_plugins.armed import Armed, ping_router
from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="faulty_migration", prefixes=("/api/v1/faulty_migration",))


@hookimpl
def plugin_settings() -> type[Armed]:
    return Armed


@hookimpl
def migration_locations(settings: Armed) -> Path | None:
    return Path(__file__).parent / "migrations" / "versions" if settings.armed else None


@hookimpl
def register_routes() -> list[Any]:
    return [ping_router("faulty_migration")]
