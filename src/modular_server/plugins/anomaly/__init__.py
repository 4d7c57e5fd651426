"""The anomaly plugin: IsolationForest models over stock movements (per artikel or kategorie)
and, while monitoring serves, over per-route performance windows.

Needs the ``anomaly`` extra (scikit-learn, joblib). This module imports neither, so the
kernel can read PLUGIN and report ``missing_dependency`` cheaply when they are absent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modular_server.plugin import PluginSpec, hookimpl, host_of

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from fastapi import FastAPI

    from modular_server.plugin import Change, HealthResult
    from modular_server.plugins.anomaly.settings import AnomalySettings

NAME = "anomaly"
# name, requires, prefixes, commands: plugin.toml (read by the kernel without importing us);
# models.py, migrations/versions and routes.router are found by the kernel's conventions
PLUGIN = PluginSpec.from_manifest(__name__)


@hookimpl
def plugin_settings() -> type[AnomalySettings]:
    from modular_server.plugins.anomaly.settings import AnomalySettings

    return AnomalySettings


@hookimpl
async def startup(app: FastAPI, settings: AnomalySettings) -> None:
    from modular_server.plugins.anomaly.runtime import AnomalyRuntime

    runtime = AnomalyRuntime(app, settings)
    await runtime.start()
    host_of(app).data[NAME] = runtime


@hookimpl
async def shutdown(app: FastAPI) -> None:
    runtime = host_of(app).data.pop(NAME, None)
    if runtime is not None:
        await runtime.stop()


@hookimpl
def changes_committed(app: FastAPI, changes: list[Change]) -> None:
    runtime = host_of(app).data.get(NAME)
    if runtime is not None:  # None before startup (migrations) and after shutdown
        runtime.notice(changes)


@hookimpl
def health_checks(app: FastAPI) -> dict[str, Callable[[], Awaitable[HealthResult]]]:
    from modular_server.plugins.anomaly.health import checks

    return checks(app)
