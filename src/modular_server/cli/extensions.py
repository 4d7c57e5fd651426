"""Subcommands contributed by plugins, each isolated.

A plugin with a ``plugin.toml`` declares its commands there (``[[commands]]``: name, help and
a ``module:attribute`` target): ``--help`` lists them without importing the plugin, and the
target is imported only when its command runs. A plugin without a manifest contributes
commands through its ``cli_commands`` hook, which needs the plugins imported first.

A plugin whose hook raises, whose ``configure`` raises or whose command name is taken loses
that command - with a one-line warning naming it - and every other command stays usable,
``--help`` included. A command whose ``run`` raises ends with an error naming its plugin.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modular_server.cli.output import CliError, warning
from modular_server.hooks.cli import CliCommand
from modular_server.hooks.manifest import DeclaredCommand

if TYPE_CHECKING:
    from modular_server.cli.session import Session
    from modular_server.core.sources import PluginSource
    from modular_server.settings import Settings

Handler = Callable[[argparse.Namespace, "Session"], int]


@dataclass(frozen=True, slots=True)
class PluginCommand:
    plugin: str
    command: CliCommand


@dataclass(frozen=True, slots=True)
class DeclaredPluginCommand:
    plugin: str
    declared: DeclaredCommand


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The plugins' commands as far as the manifests tell, without importing any plugin."""

    declared: list[DeclaredPluginCommand]
    #: enabled plugins without a manifest: their commands are known once they are imported
    undeclared: list[str]

    def names(self) -> set[str]:
        return {entry.declared.name for entry in self.declared}


def catalogue(settings: Settings, sources: Iterable[PluginSource]) -> Catalogue:
    declared: list[DeclaredPluginCommand] = []
    undeclared: list[str] = []
    for source in sources:
        if not settings.plugins.allows(source.name) or source.manifest_error:
            continue  # a disabled plugin offers no command; a bad manifest is reported by `plugins`
        if source.manifest is None:
            undeclared.append(source.name)
            continue
        declared.extend(DeclaredPluginCommand(source.name, command) for command in source.manifest.commands)
    return Catalogue(declared, undeclared)


def collect(host: Any) -> list[PluginCommand]:
    """Each serving manifest-less plugin's commands (hook ``cli_commands``); a plugin whose
    hook raises is left out with a warning."""
    owners = {id(record.obj): record.name for record in host.active() if not _has_manifest(record.source)}
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


def add_declared(
    subcommands: argparse._SubParsersAction,  # type: ignore[type-arg]
    entries: Iterable[DeclaredPluginCommand],
    chosen: str | None,
    debug: bool,
) -> None:
    """Add each declared command; only the ``chosen`` one has its target imported and configured."""
    for entry in sorted(entries, key=lambda e: (e.declared.name, e.plugin)):
        name = entry.declared.name
        if name in subcommands.choices:
            warning(f"plugin {entry.plugin!r}: command {name!r} is left out: the name is already taken")
            continue
        if name != chosen:
            subcommands.add_parser(name, help=f"{entry.declared.help} [plugin {entry.plugin}]")
            continue
        try:
            command = resolve(entry.declared)
        except Exception as exc:  # plugin code
            raise CliError(f"plugin {entry.plugin!r}: command {name!r} is unavailable: {_text(exc)}") from exc
        _add(subcommands, PluginCommand(entry.plugin, command), debug)


def resolve(declared: DeclaredCommand) -> CliCommand:
    """Import a declared command's target: a CliCommand, or a callable returning one or several."""
    module, attribute = declared.target.split(":")
    found: Any = getattr(importlib.import_module(module), attribute)
    if not isinstance(found, CliCommand) and callable(found):
        found = found()
    candidates = [found] if isinstance(found, CliCommand) else list(found or ())
    for command in candidates:
        if isinstance(command, CliCommand) and command.name == declared.name:
            return command
    raise LookupError(f"{declared.target} provides no CliCommand named {declared.name!r}")


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
        _add(subcommands, entry, debug)


def _add(
    subcommands: argparse._SubParsersAction,  # type: ignore[type-arg]
    entry: PluginCommand,
    debug: bool,
) -> None:
    name = entry.command.name
    own = argparse.ArgumentParser(add_help=False)
    try:
        entry.command.configure(own)
    except Exception as exc:
        warning(f"plugin {entry.plugin!r}: command {name!r} is left out: configure failed: {_text(exc)}")
        return
    parser = subcommands.add_parser(
        name, help=f"{entry.command.help} [plugin {entry.plugin}]", parents=[own], conflict_handler="resolve"
    )
    parser.set_defaults(handler=_runner(entry, debug))


def _runner(entry: PluginCommand, debug: bool) -> Handler:
    def run(args: argparse.Namespace, session: Session) -> int:
        app = session.app(routes=True)
        record = app.state.host.records.get(entry.plugin)
        if record is None or not record.state.serving:
            state = f"{record.state.value}: {record.reason}" if record is not None else "not installed"
            raise CliError(f"plugin {entry.plugin!r} is {state}; its command {entry.command.name!r} cannot run")

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


def _has_manifest(source: PluginSource) -> bool:
    return source.manifest is not None


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".removesuffix(": ")
