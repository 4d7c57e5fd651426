"""Subcommands contributed by plugins (hook ``cli_commands``), each isolated.

A plugin whose hook raises, whose ``configure`` raises or whose command name is taken loses
that command - with a one-line warning naming it - and every other command stays usable,
``--help`` included. A command whose ``run`` raises ends with an error naming its plugin.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from modular_server.cli.output import CliError, warning
from modular_server.hooks.cli import CliCommand

log = logging.getLogger("modular_server.cli")


@dataclass(frozen=True, slots=True)
class PluginCommand:
    plugin: str
    command: CliCommand


def collect(host: Any) -> list[PluginCommand]:
    """Each serving plugin's commands; a plugin whose hook raises is left out with a warning."""
    owners = {id(record.obj): record.name for record in host.active()}
    found: list[PluginCommand] = []
    for impl in reversed(host.pm.hook.cli_commands.get_hookimpls()):
        plugin = owners.get(id(impl.plugin))
        if plugin is None:
            continue
        try:
            commands = list(impl.function() or ())
            for command in commands:
                if not isinstance(command, CliCommand):
                    raise TypeError(f"cli_commands returned {type(command).__name__}, not CliCommand")
        except Exception as exc:  # plugin code: never let it break the command line
            warning(f"plugin {plugin!r}: its commands are left out: cli_commands failed: {_text(exc)}")
            continue
        found.extend(PluginCommand(plugin, command) for command in commands)
    return found


def add_to(
    subcommands: argparse._SubParsersAction,  # type: ignore[type-arg]
    commands: Iterable[PluginCommand],
    debug: bool,
) -> None:
    """Add each command whose ``configure`` succeeds (on a parser of its own first)."""
    for entry in sorted(commands, key=lambda c: (c.command.name, c.plugin)):
        name = entry.command.name
        if name in subcommands.choices:
            warning(f"plugin {entry.plugin!r}: command {name!r} is left out: the name is already taken")
            continue
        own = argparse.ArgumentParser(add_help=False)
        try:
            entry.command.configure(own)
        except Exception as exc:
            warning(f"plugin {entry.plugin!r}: command {name!r} is left out: configure failed: {_text(exc)}")
            continue
        parser = subcommands.add_parser(
            name, help=f"{entry.command.help} [plugin {entry.plugin}]", parents=[own], conflict_handler="resolve"
        )
        parser.set_defaults(handler=_runner(entry, debug))


def _runner(entry: PluginCommand, debug: bool) -> Callable[[argparse.Namespace, FastAPI], int]:
    def run(args: argparse.Namespace, app: FastAPI) -> int:
        async def main() -> int:
            async with app.router.lifespan_context(app):
                try:
                    result = entry.command.run(args, app)
                    if inspect.isawaitable(result):
                        result = await result
                except (CliError, KeyboardInterrupt):
                    raise
                except Exception as exc:
                    if debug:
                        traceback.print_exc()
                    raise CliError(
                        f"plugin {entry.plugin!r}: command {entry.command.name!r} failed: {_text(exc)}"
                        + ("" if debug else " (run with --debug for the traceback)"),
                        code=1,
                    ) from exc
                return int(result or 0)

        return asyncio.run(main())

    return run


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".removesuffix(": ")
