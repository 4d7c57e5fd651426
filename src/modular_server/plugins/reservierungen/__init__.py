"""The reservierungen plugin: Batch reservations with FEFO allocation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modular_server.plugin import PluginSpec, hookimpl, host_of

if TYPE_CHECKING:
    from fastapi import FastAPI
    from pydantic import BaseModel

    from modular_server.plugins.reservierungen.settings import ReservierungenSettings

# name, requires, prefixes, commands: plugin.toml (read by the kernel without importing us);
# models.py, migrations/versions and routes.router are found by the kernel's conventions
PLUGIN = PluginSpec.from_manifest(__name__)


@hookimpl
def plugin_settings() -> type[BaseModel]:
    from modular_server.plugins.reservierungen.settings import ReservierungenSettings

    return ReservierungenSettings


@hookimpl
async def startup(app: FastAPI, settings: ReservierungenSettings) -> None:
    from modular_server.plugins.reservierungen.runtime import ExpiryJob

    job = ExpiryJob(app, settings.ablauf_intervall_seconds)
    host_of(app).data["reservierungen"] = job
    job.start()


@hookimpl
async def shutdown(app: FastAPI) -> None:
    await host_of(app).data["reservierungen"].stop()
