"""Armed, its model's relationship names a class nobody maps: the mappers do not configure."""

from __future__ import annotations

from types import ModuleType

from faulty_plugins.armed import Armed
from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="faulty_relationship", prefixes=("/api/v1/faulty_relationship",))


@hookimpl
def plugin_settings() -> type[Armed]:
    return Armed


@hookimpl
def register_models(settings: Armed) -> list[ModuleType]:
    if not settings.armed:
        return []
    from faulty_plugins.relationship import broken_models

    return [broken_models]
