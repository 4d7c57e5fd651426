"""The lager plugin: Lager, Lagerorte, the movement ledger and stock balances."""

from __future__ import annotations

from modular_server.plugin import CliCommand, PluginSpec, hookimpl

# name, requires, prefixes, commands: plugin.toml (read by the kernel without importing us);
# models.py, migrations/versions and routes.router are found by the kernel's conventions
PLUGIN = PluginSpec.from_manifest(__name__)


@hookimpl
def cli_commands() -> list[CliCommand]:
    from modular_server.plugins.lager.cli import commands

    return commands()
