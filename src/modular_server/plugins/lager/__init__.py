"""The lager plugin: Lager, Lagerorte, the movement ledger and stock balances."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from modular_server.plugin import CliCommand, PluginSpec, hookimpl

if TYPE_CHECKING:
    from fastapi import APIRouter

# name, requires, prefixes, commands: plugin.toml (read by the kernel without importing us)
PLUGIN = PluginSpec.from_manifest(__name__)


@hookimpl
def register_models() -> list[ModuleType]:
    from modular_server.plugins.lager import models

    return [models]


@hookimpl
def migration_locations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def register_routes() -> list[APIRouter]:
    from modular_server.plugins.lager.routes import router

    return [router]


@hookimpl
def cli_commands() -> list[CliCommand]:
    from modular_server.plugins.lager.cli import commands

    return commands()
