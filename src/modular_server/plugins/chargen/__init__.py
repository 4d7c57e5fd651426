"""The chargen plugin: Chargen (batches) with MHD, status, recall and genealogy."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from modular_server.plugin import CliCommand, PluginSpec, hookimpl, host_of

if TYPE_CHECKING:
    from argparse import ArgumentParser, Namespace

    from fastapi import APIRouter, FastAPI
    from pydantic import BaseModel

# name, requires, prefixes, commands: plugin.toml (read by the kernel without importing us)
PLUGIN = PluginSpec.from_manifest(__name__)


@hookimpl
def plugin_settings() -> type[BaseModel]:
    from modular_server.plugins.chargen.settings import ChargenSettings

    return ChargenSettings


@hookimpl
def register_models() -> list[ModuleType]:
    from modular_server.plugins.chargen import models

    return [models]


@hookimpl
def migration_locations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def register_routes() -> list[APIRouter]:
    from modular_server.plugins.chargen.routes import router

    return [router]


@hookimpl
def startup(app: FastAPI) -> None:
    from modular_server.plugins.chargen.ablauf import ChargenRuntime

    host_of(app).data["chargen"] = ChargenRuntime(app)


def _configure_ablauf(parser: ArgumentParser) -> None:
    parser.add_argument("--tage", type=int, default=None, help="warning window in days (default: setting)")


async def _run_ablauf(args: Namespace, app: FastAPI) -> int:
    from modular_server.plugins.chargen.ablauf import melde_ablaufende

    gemeldet = await melde_ablaufende(app, args.tage)
    print(f"{gemeldet} expiring batches reported")
    return 0


@hookimpl
def cli_commands() -> list[CliCommand]:
    return [
        CliCommand(
            name="chargen-ablauf",
            help="publish charge.laeuft_ab for every free batch whose MHD is near",
            configure=_configure_ablauf,
            run=_run_ablauf,
        )
    ]
