"""A plugin whose startup raises (its message holds brackets that look like markup)."""

from __future__ import annotations

from typing import Any

from modular_server.plugin import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="fixture_startup_raises")


@hookimpl
def startup(app: Any) -> None:
    raise RuntimeError("cannot read [/etc/x.toml]")
