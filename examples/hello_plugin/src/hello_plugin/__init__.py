"""A small, complete plugin built on the public API only (``modular_server.plugin``).

It greets (``GET /api/v1/hello``), stores greetings in its own table with its own migration
(``POST``/``GET /api/v1/hello/greetings``, a paginated list), reads its settings from
``MODULAR_SERVER_HELLO__*``, and counts the requests the server answered with an observer hook
(``GET /api/v1/hello/stats``).

Its ``models`` module, the ``router`` of its ``routes`` module and its ``migrations/versions``
folder are registered by convention: no hook code for them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from modular_server.plugin import PluginSpec, hookimpl, host_of

PLUGIN = PluginSpec(
    name="hello",
    version="0.2.0",
    description="Says hello, keeps greetings and counts answered requests",
    prefixes=("/api/v1/hello",),
)


@hookimpl
def plugin_settings() -> type[BaseModel]:
    from hello_plugin.settings import HelloSettings

    return HelloSettings


@hookimpl
def startup(app: Any) -> None:
    # a plugin's state lives on the app, under its own name - never in module globals
    host_of(app).data["hello"] = {"requests": 0}


@hookimpl
def request_finished(app: Any) -> None:
    host_of(app).data["hello"]["requests"] += 1
