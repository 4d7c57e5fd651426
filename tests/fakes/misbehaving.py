"""Plugins that fail in every way the kernel must survive, one class per failure.

Each instance is a plugin object (``PLUGIN`` plus ``@hookimpl`` methods); hand it to
``make_app(plugins=[...])``. The plugin that raises at import is the module
:mod:`tests.fakes.raises_on_import`.
"""

from __future__ import annotations

import asyncio
import time
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


class ObserverHangs:
    """Its observers of the hooks in ``stuck`` answer with an awaitable that never finishes (a
    stuck network call); the others, and all of them until a test fills ``stuck``, do nothing."""

    PLUGIN = PluginSpec(name="hanging")

    def __init__(self) -> None:
        self.stuck: set[str] = set()
        self.calls = {"request_finished": 0, "query_executed": 0, "changes_committed": 0}
        self.unfinished = 0

    def _forever(self, hook: str) -> Any:
        return self._hang(hook) if hook in self.stuck else None

    async def _hang(self, hook: str) -> None:
        self.calls[hook] += 1
        self.unfinished += 1
        try:
            await asyncio.Event().wait()
        finally:
            self.unfinished -= 1

    @hookimpl
    def request_finished(self) -> Any:
        return self._forever("request_finished")

    @hookimpl
    def query_executed(self) -> Any:
        return self._forever("query_executed")

    @hookimpl
    def changes_committed(self) -> Any:
        return self._forever("changes_committed")


class ObserverBlocks:
    """A synchronous observer that blocks the event loop on every call (blocking I/O)."""

    PLUGIN = PluginSpec(name="blocking")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls = 0

    @hookimpl
    def request_finished(self) -> None:
        self.calls += 1
        time.sleep(self.seconds)
