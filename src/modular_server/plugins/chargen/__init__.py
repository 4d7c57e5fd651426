"""The chargen plugin: Chargen (batches) with MHD, status, recall and genealogy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modular_server.plugin import CliCommand, PluginSpec, hookimpl, host_of

if TYPE_CHECKING:
    from fastapi import FastAPI
    from pydantic import BaseModel

# name, requires, prefixes, commands: plugin.toml (read by the kernel without importing us);
# models.py, migrations/versions and routes.router are found by the kernel's conventions
PLUGIN = PluginSpec.from_manifest(__name__)


@hookimpl
def plugin_settings() -> type[BaseModel]:
    from modular_server.plugins.chargen.settings import ChargenSettings

    return ChargenSettings


@hookimpl
def startup(app: FastAPI) -> None:
    from modular_server.plugins.chargen.runtime import ChargenRuntime

    host_of(app).data["chargen"] = ChargenRuntime(app)


@hookimpl
def cli_commands() -> list[CliCommand]:
    from modular_server.plugins.chargen.cli import COMMANDS

    return COMMANDS
