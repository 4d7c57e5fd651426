"""A plugin that works, with a command of its own."""

from __future__ import annotations

from argparse import ArgumentParser, Namespace
from typing import Any

from modular_server.plugin import CliCommand, PluginSpec, hookimpl

PLUGIN = PluginSpec(name="fixture_ok", version="1.0.0")


def _configure(parser: ArgumentParser) -> None:
    parser.add_argument("--who", default="world")


def _run(args: Namespace, app: Any) -> int:
    print(f"hello {args.who}")
    return 0


@hookimpl
def cli_commands() -> list[CliCommand]:
    return [CliCommand("fixture-hello", "say hello", _configure, _run)]
