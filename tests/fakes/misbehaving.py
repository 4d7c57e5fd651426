"""Plugins that fail in every way the kernel must survive, one class per failure.

Each instance is a plugin object (``PLUGIN`` plus ``@hookimpl`` methods); hand it to
``make_app(plugins=[...])``. The plugin that raises at import is the module
:mod:`tests.fakes.raises_on_import`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from modular_server.hooks import PluginSpec, hookimpl

MISSING_MODULE = "modular_server_fake_missing_module"
MISSING_DISTRIBUTION = "modular-server-fake-missing-dist>=1.0"


class NeedsPackage:
    PLUGIN = PluginSpec(
        name="needs_package",
        python_packages=(MISSING_MODULE,),
        install_hint=f"pip install {MISSING_MODULE}",
    )


class FailingStartup:
    PLUGIN = PluginSpec(name="failing_startup")

    @hookimpl
    def startup(self) -> None:
        raise ConnectionError("widget service unreachable")


class SlowStartup:
    PLUGIN = PluginSpec(name="slow_startup")

    @hookimpl
    async def startup(self) -> None:
        await asyncio.sleep(30)


class NeedsBroken:
    PLUGIN = PluginSpec(name="needs_broken", requires=("broken",))


class CycleA:
    PLUGIN = PluginSpec(name="cycle_a", requires=("cycle_b",))


class CycleB:
    PLUGIN = PluginSpec(name="cycle_b", requires=("cycle_a",))


class MisspelledHook:
    PLUGIN = PluginSpec(name="misspelled")

    @hookimpl
    def request_finishd(self, ctx: Any) -> None:
        pass


class ObserverRaises:
    PLUGIN = PluginSpec(name="noisy", prefixes=("/api/v1/noisy",))

    def __init__(self) -> None:
        self.router = APIRouter(prefix="/api/v1/noisy")
        self.router.add_api_route("", self.ping, methods=["GET"])

    async def ping(self) -> dict[str, str]:
        return {"status": "still serving"}

    @hookimpl
    def register_routes(self) -> list[APIRouter]:
        return [self.router]

    @hookimpl
    def request_finished(self, ctx: Any) -> None:
        raise ValueError(f"cannot count {ctx.path}")


class OldContract:
    PLUGIN = PluginSpec(name="old_contract", contract=0)
