"""The notifications plugin: domain events become notifications (API, Server-Sent Events,
signed webhooks), plus a daily check for expiring batches and low stock.

It requires no other plugin: it stores whatever events are published, and its daily check
reads the inventory tables only while their plugins serve. The observer only queues the
event; storing, streaming and webhook delivery happen in background tasks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modular_server.plugin import CliCommand, PluginSpec, hookimpl, host_of

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from fastapi import FastAPI

    from modular_server.plugin import DomainEvent, HealthResult
    from modular_server.plugins.notifications.settings import NotificationsSettings

NAME = "notifications"
# name, requires, prefixes, commands: plugin.toml (read by the kernel without importing us);
# models.py, migrations/versions and routes.router are found by the kernel's conventions
PLUGIN = PluginSpec.from_manifest(__name__)


@hookimpl
def plugin_settings() -> type[NotificationsSettings]:
    from modular_server.plugins.notifications.settings import NotificationsSettings

    return NotificationsSettings


@hookimpl
async def startup(app: FastAPI, settings: NotificationsSettings) -> None:
    from modular_server.plugins.notifications.runtime import NotificationsRuntime

    runtime = NotificationsRuntime(app, settings)
    await runtime.start()
    host_of(app).data[NAME] = runtime


@hookimpl
async def shutdown(app: FastAPI) -> None:
    runtime = host_of(app).data.pop(NAME, None)
    if runtime is not None:
        await runtime.stop()


@hookimpl
def event_published(app: FastAPI, event: DomainEvent) -> None:
    runtime = host_of(app).data.get(NAME)
    if runtime is not None:  # None before startup and after shutdown
        runtime.offer(event)


@hookimpl
def health_checks(app: FastAPI) -> dict[str, Callable[[], Awaitable[HealthResult]]]:
    from modular_server.plugins.notifications.health import checks

    return checks(app)


@hookimpl
def cli_commands() -> list[CliCommand]:
    from modular_server.plugins.notifications.cli import COMMANDS

    return COMMANDS
