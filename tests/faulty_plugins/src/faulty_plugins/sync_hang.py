"""Synchronous ``startup`` / ``shutdown`` that never return (blocking I/O without a timeout)."""

from __future__ import annotations

import threading
from typing import Any

from pydantic import BaseModel

from faulty_plugins.armed import ping_router
from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="faulty_sync_hang", prefixes=("/api/v1/faulty_sync_hang",))


class HangSettings(BaseModel):
    startup: bool = False
    shutdown: bool = False


@hookimpl
def plugin_settings() -> type[HangSettings]:
    return HangSettings


@hookimpl
def register_routes() -> list[Any]:
    return [ping_router("faulty_sync_hang")]


@hookimpl
def startup(app: Any, settings: HangSettings) -> None:
    app.state.host.data["faulty_sync_hang"] = {"startup_entered": True}
    if settings.startup:
        threading.Event().wait()  # never set


@hookimpl
def shutdown(app: Any) -> None:
    if app.state.host.settings_for("faulty_sync_hang").shutdown:
        threading.Event().wait()  # never set
