"""The ``modular-server`` command (also ``python -m modular_server``).

One module per command group: :mod:`.serve`, :mod:`.plugins` (with :mod:`.check`), :mod:`.db`,
:mod:`.keys`; :mod:`.extensions` adds the commands plugins contribute. Exit codes: 0 success,
1 the command ran and found a problem (a check failed, a plugin command failed), 2 the command
could not run (usage, unknown plugin, bad setting, database unavailable, strict mode).

Starting is cheap: only the module of the command being run is imported, and each command
builds only what it needs (:class:`.session.Session`); ``--help`` imports no plugin and no web
framework - the plugins' commands come from their manifests.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tomllib
import traceback
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from pydantic_settings import SettingsError

from modular_server.cli import extensions
from modular_server.cli.output import CliError, error
from modular_server.cli.session import Session
from modular_server.core.logs import configure_logging
from modular_server.settings import Settings
from modular_server.settings.core import config_file_path

__all__ = ["build_parser", "main"]


@dataclass(frozen=True, slots=True)
class CoreCommand:
    #: the module with ``configure(parser)``; imported only when its command runs
    module: str
    help: str


#: the command groups of the core, in the order of --help
COMMANDS = {
    "serve": CoreCommand("modular_server.cli.serve", "serve the API (uvicorn)"),
    "plugins": CoreCommand("modular_server.cli.plugins", "list discovered plugins with their state; --check runs them"),
    "db": CoreCommand("modular_server.cli.db", "database migrations: upgrade, status, check, revision"),
    "keys": CoreCommand("modular_server.cli.keys", "API keys"),
}


def build_parser(
    session: Session | None = None, chosen: str | None = None, *, debug: bool = False, every: bool = False
) -> argparse.ArgumentParser:
    """The parser; only the ``chosen`` command's arguments are configured (its module imported),
    or every core command's with ``every`` (the generated reference).

    Without a session only the core's commands are listed."""
    parser = argparse.ArgumentParser(prog="modular-server", description="Plugin-based inventory API server")
    parser.add_argument("--debug", action="store_true", help="print tracebacks of failures")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        own = sub.add_parser(name, help=command.help, description=command.help)
        if every or name == chosen:
            importlib.import_module(command.module).configure(own)
    if session is None:
        return parser
    found = extensions.catalogue(session.settings, session.sources())
    extensions.add_declared(sub, found.declared, chosen, debug)
    known = set(COMMANDS) | found.names()
    if found.undeclared and (chosen is None or chosen not in known):
        # plugins without a manifest name their commands only once imported
        extensions.add_to(sub, extensions.collect(session.host()), debug)
    return parser


def _plugins_new(words: list[str]) -> int | None:
    """``plugins new NAME [--dir D]`` writes files only (no settings, app or database); None otherwise."""
    if words[:2] != ["plugins", "new"]:
        return None
    from modular_server.authoring.command import run

    return run(words[2:])


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if (generated := _plugins_new(words)) is not None:
        return generated
    debug = "--debug" in words
    settings: Settings | None = None
    try:
        settings = _settings()
        configure_logging(settings)
        debug = debug or settings.log_level == "debug"
        command = next((w for w in words if not w.startswith("-")), None)
        # `plugins` reports failures instead of refusing; every other command honours strict mode.
        if command == "plugins":
            settings = settings.model_copy(update={"strict_plugins": False})
        session = Session(settings, command or "")
        args = build_parser(session, command, debug=debug).parse_args(words)
        return int(args.handler(args, session) or 0)
    except CliError as exc:
        error(str(exc))
        return exc.code
    except Exception as exc:
        code = _known_failure(exc, settings, debug)
        if code is None:
            raise
        return code


def _settings() -> Settings:
    try:
        return Settings()
    except (ValidationError, SettingsError) as exc:
        # the explanation of a bad setting is loaded only when there is one to explain
        from modular_server.settings.errors import describe_settings_error

        raise CliError(f"invalid setting: {describe_settings_error(exc)}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CliError(f"invalid setting: {config_file_path()} is not valid TOML: {exc}") from exc


def _known_failure(exc: Exception, settings: Settings | None, debug: bool) -> int | None:
    """Print a failure an operator can fix as one line and return its exit code; None for a bug.

    The failure's classes are looked up only now: their modules are loaded already if one of
    them was raised, and ``--help`` never pays for importing them."""
    if _is(exc, "modular_server.core.plugins", "PluginStartupError") or _is(
        exc, "modular_server.core.migrator", "MigrationRequired"
    ):
        error(str(exc))
        return 2
    if _is(exc, "modular_server.core.errors", "Problem"):
        error(getattr(exc, "detail", str(exc)))
        return 1
    if settings is not None and (isinstance(exc, OSError) or _is(exc, "sqlalchemy.exc", "DBAPIError")):
        from modular_server.cli.errors import database_error

        explained = database_error(exc, settings)
        if explained is None:
            return None
        if debug:
            traceback.print_exc()
        error(explained)
        return 2
    return None


def _is(exc: Exception, module: str, name: str) -> bool:
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, getattr(loaded, name))
