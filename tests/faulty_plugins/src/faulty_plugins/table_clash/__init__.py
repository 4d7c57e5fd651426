"""Armed, its models define ``faulty_shared`` - the table ``faulty_owner`` owns - again."""

from __future__ import annotations

from types import ModuleType

from faulty_plugins.armed import Armed
from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="faulty_table_clash", prefixes=("/api/v1/faulty_table_clash",))


@hookimpl
def plugin_settings() -> type[Armed]:
    return Armed


@hookimpl
def register_models(settings: Armed) -> list[ModuleType]:
    if not settings.armed:
        return []
    from faulty_plugins.table_clash import clashing_models

    return [clashing_models]
