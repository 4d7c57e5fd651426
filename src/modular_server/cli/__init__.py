"""The ``modular-server`` command (also ``python -m modular_server``).

One module per command group: :mod:`.serve`, :mod:`.plugins` (with :mod:`.check`), :mod:`.db`,
:mod:`.keys`; :mod:`.extensions` adds the commands plugins contribute. Exit codes: 0 success,
1 the command ran and found a problem (a check failed, a plugin command failed), 2 the command
could not run (usage, unknown plugin, bad setting, database unavailable, strict mode).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
import traceback
from collections.abc import Sequence

from pydantic import ValidationError
from pydantic_settings import SettingsError
from sqlalchemy.exc import DBAPIError

from modular_server.cli import db, extensions, keys, plugins, serve
from modular_server.cli.errors import database_error
from modular_server.cli.output import CliError, error
from modular_server.core.app import create_app
from modular_server.core.errors import Problem
from modular_server.core.logs import configure_logging
from modular_server.core.migrator import MigrationRequired
from modular_server.core.plugins import PluginStartupError
from modular_server.settings import Settings
from modular_server.settings.core import config_file_path
from modular_server.settings.errors import describe_settings_error

__all__ = ["build_parser", "main"]

#: the command groups of the core, in the order of --help
COMMANDS = {
    "serve": (serve.configure, "serve the API (uvicorn)"),
    "plugins": (plugins.configure, "list discovered plugins with their state; --check runs them"),
    "db": (db.configure, "database migrations: upgrade, status, check, revision"),
    "keys": (keys.configure, "API keys"),
}


def build_parser(
    plugin_commands: Sequence[extensions.PluginCommand] = (), *, debug: bool = False
) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modular-server", description="Plugin-based inventory API server")
    parser.add_argument("--debug", action="store_true", help="print tracebacks of failures")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (configure, help_text) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    extensions.add_to(sub, plugin_commands, debug)
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
        try:
            settings = Settings()
        except (ValidationError, SettingsError) as exc:
            raise CliError(f"invalid setting: {describe_settings_error(exc)}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise CliError(f"invalid setting: {config_file_path()} is not valid TOML: {exc}") from exc
        configure_logging(settings)
        debug = debug or settings.log_level == "debug"
        # `plugins` reports failures instead of refusing; every other command honours strict mode.
        command = next((w for w in words if not w.startswith("-")), None)
        reporting = command == "plugins"
        app = create_app(settings.model_copy(update={"strict_plugins": False}) if reporting else settings)
        parser = build_parser(extensions.collect(app.state.host), debug=debug)
        args = parser.parse_args(words)
        return int(args.handler(args, app) or 0)
    except CliError as exc:
        error(str(exc))
        return exc.code
    except (PluginStartupError, MigrationRequired) as exc:
        error(str(exc))
        return 2
    except Problem as exc:
        error(exc.detail)
        return 1
    except (DBAPIError, OSError) as exc:
        explained = database_error(exc, settings) if settings is not None else None
        if explained is None:
            raise
        if debug:
            traceback.print_exc()
        error(explained)
        return 2
