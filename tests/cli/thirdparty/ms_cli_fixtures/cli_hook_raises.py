"""A plugin whose cli_commands hook raises."""

from __future__ import annotations

from modular_server.plugin import CliCommand, PluginSpec, hookimpl

PLUGIN = PluginSpec(name="fixture_cli_hook")


@hookimpl
def cli_commands() -> list[CliCommand]:
    raise RuntimeError("commands unavailable")
