"""Gates that raise at request time (an authenticator and a response cache whose backend broke)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from faulty_plugins.armed import ping_router
from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="faulty_gates", prefixes=("/api/v1/faulty_gates",))


class GateSettings(BaseModel):
    authenticate: bool = False
    lookup: bool = False


@hookimpl
def plugin_settings() -> type[GateSettings]:
    return GateSettings


@hookimpl
def register_routes() -> list[Any]:
    return [ping_router("faulty_gates")]


@hookimpl
def authenticate(app: Any) -> None:
    if app.state.host.settings_for("faulty_gates").authenticate:
        raise RuntimeError("token introspection endpoint unreachable")


@hookimpl
async def lookup_response(app: Any) -> None:
    if app.state.host.settings_for("faulty_gates").lookup:
        raise TimeoutError("cache backend timed out")
