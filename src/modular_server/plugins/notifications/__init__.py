"""The notifications plugin: domain events become notifications (API, Server-Sent Events,
signed webhooks), plus a daily check for expiring batches and low stock.

It requires no other plugin: it stores whatever events are published, and its daily check
reads the inventory tables only while their plugins serve. The observer only queues the
event; storing, streaming and webhook delivery happen in background tasks.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from modular_server.plugin import CliCommand, PluginSpec, hookimpl, host_of

if TYPE_CHECKING:
    from argparse import ArgumentParser, Namespace
    from collections.abc import Awaitable, Callable

    from fastapi import APIRouter, FastAPI

    from modular_server.plugin import DomainEvent, HealthResult
    from modular_server.plugins.notifications.settings import NotificationsSettings

NAME = "notifications"
# name, requires, prefixes, commands: plugin.toml (read by the kernel without importing us)
PLUGIN = PluginSpec.from_manifest(__name__)


@hookimpl
def plugin_settings() -> type[NotificationsSettings]:
    from modular_server.plugins.notifications.settings import NotificationsSettings

    return NotificationsSettings


@hookimpl
def register_models() -> list[ModuleType]:
    from modular_server.plugins.notifications import models

    return [models]


@hookimpl
def migration_locations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def register_routes() -> list[APIRouter]:
    from modular_server.plugins.notifications.routes import router

    return [router]


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
    from modular_server.plugin import HealthResult

    async def queue() -> HealthResult:
        runtime = host_of(app).data.get(NAME)
        if runtime is None:
            return HealthResult("fail", "not started")
        if runtime.dropped:
            return HealthResult("degraded", f"{runtime.dropped} events dropped because the queue was full")
        return HealthResult("ok", f"{runtime.events.qsize()} events queued")

    async def fanout() -> HealthResult:
        runtime = host_of(app).data.get(NAME)
        if runtime is None:
            return HealthResult("fail", "not started")
        return runtime.fanout.health()

    return {"queue": queue, "fanout": fanout}


def _configure_check(parser: ArgumentParser) -> None:
    parser.add_argument("--stichtag", default=None, help="check as of this day (YYYY-MM-DD; default: today, UTC)")


async def _run_check(args: Namespace, app: FastAPI) -> int:
    from datetime import date

    from modular_server.plugins.notifications.runtime import NotificationsRuntime

    runtime = NotificationsRuntime(app, host_of(app).settings_for(NAME))
    result = await runtime.run_daily_check(date.fromisoformat(args.stichtag) if args.stichtag else None)
    print(result.model_dump_json())
    return 0


@hookimpl
def cli_commands() -> list[CliCommand]:
    return [
        CliCommand(
            name="notifications-check",
            help="run the daily check (expiring batches, low stock) once; idempotent",
            configure=_configure_check,
            run=_run_check,
        )
    ]
