"""A plugin with one command whose configure raises and one whose run raises."""

from __future__ import annotations

from argparse import ArgumentParser, Namespace
from typing import Any

from modular_server.plugin import CliCommand, PluginSpec, hookimpl

PLUGIN = PluginSpec(name="fixture_cli_bad")


def _configure_raises(parser: ArgumentParser) -> None:
    raise ValueError("bad option table")


def _no_options(parser: ArgumentParser) -> None:
    pass


def _run_raises(args: Namespace, app: Any) -> int:
    raise RuntimeError("kaboom [red]x[/red]")


def _unused(args: Namespace, app: Any) -> int:
    return 0


@hookimpl
def cli_commands() -> list[CliCommand]:
    return [
        CliCommand("fixture-broken", "never configured", _configure_raises, _unused),
        CliCommand("fixture-explode", "raises when run", _no_options, _run_raises),
        CliCommand("db", "takes a core command's name", _no_options, _unused),
    ]
