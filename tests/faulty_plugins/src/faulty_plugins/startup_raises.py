"""Armed, its ``startup`` cannot reach the service it needs."""

from typing import Any

from faulty_plugins.armed import Armed, ping_router
from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="faulty_startup_raises", prefixes=("/api/v1/faulty_startup_raises",))


@hookimpl
def plugin_settings() -> type[Armed]:
    return Armed


@hookimpl
def register_routes() -> list[Any]:
    return [ping_router("faulty_startup_raises")]


@hookimpl
def startup(settings: Armed) -> None:
    if settings.armed:
        raise ConnectionError("inventory feed unreachable at 127.0.0.1:9")
