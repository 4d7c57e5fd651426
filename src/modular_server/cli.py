"""The ``modular-server`` command (also ``python -m modular_server``)."""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import sys
from collections.abc import Awaitable, Callable, Sequence

from fastapi import FastAPI
from rich.console import Console
from rich.table import Table

from modular_server.core.app import create_app
from modular_server.core.errors import Problem
from modular_server.core.graph import explain_order
from modular_server.core.logs import configure_logging
from modular_server.core.migrator import MigrationRequired
from modular_server.core.plugins import PluginStartupError
from modular_server.hooks.cli import CliCommand
from modular_server.settings import Settings

STATE_STYLE = {"active": "green", "disabled": "dim", "degraded": "yellow", "skipped": "yellow"}


def _run_with_app(app: FastAPI, work: Callable[[FastAPI], Awaitable[int | None]]) -> int:
    """Run ``work`` inside the app's lifespan (migrated schema, started plugins)."""

    async def main() -> int | None:
        async with app.router.lifespan_context(app):
            return await work(app)

    return int(asyncio.run(main()) or 0)


# --- serve ---------------------------------------------------------------------------------


def _serve(args: argparse.Namespace, app: FastAPI) -> int:
    import uvicorn

    settings: Settings = app.state.settings
    # Each worker builds its own app from the environment; build one here first so that strict
    # mode fails fast, before uvicorn forks workers.
    create_app(settings)
    uvicorn.run(
        "modular_server.core.app:app_factory",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers or settings.workers,
        log_level=settings.log_level,
        proxy_headers=True,
        timeout_graceful_shutdown=30,
    )
    return 0


# --- plugins -------------------------------------------------------------------------------


def _plugins(args: argparse.Namespace, app: FastAPI) -> int:
    console = Console()
    host = app.state.host
    if args.action == "graph":
        order = explain_order({n: r.requires for n, r in host.records.items()})
        for index, (name, deps) in enumerate(order, 1):
            record = host.records[name]
            why = f"after {', '.join(deps)}" if deps else "no requirements"
            console.print(f"{index:2}. [bold]{name}[/] ({record.state.value}) - {why}")
        return 0
    report = host.report()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        table = Table(title="modular-server plugins")
        for column in ("plugin", "state", "version", "requires", "reason / hint", "ms"):
            table.add_column(column)
        for item in report:
            style = STATE_STYLE.get(item["state"], "red")
            reason = item["reason"] + (f"\n[dim]fix: {item['hint']}[/]" if item["hint"] else "")
            table.add_row(
                item["name"],
                f"[{style}]{item['state']}[/]",
                item["version"] or "-",
                ", ".join(item["requires"]) or "-",
                reason or "-",
                f"{sum(item['timings_ms'].values()):.1f}",
            )
        console.print(table)
    return 1 if args.check and host.failures() else 0


# --- db ------------------------------------------------------------------------------------


def _db(args: argparse.Namespace, app: FastAPI) -> int:
    migrator = app.state.migrator
    console = Console()
    if args.action == "revision":
        path = migrator.revision(args.plugin, args.message, autogenerate=not args.empty)
        console.print(f"wrote {path}")
        return 0

    async def work() -> int:
        try:
            if args.action == "upgrade":
                statuses = await migrator.upgrade()
            elif args.action == "current":
                statuses = await migrator.status()
            else:
                drift = await migrator.drift()
                for name, diffs in drift.items():
                    for diff in diffs:
                        console.print(f"[red]drift[/] {name}: {diff}")
                if not drift:
                    console.print("[green]schema matches the models[/]")
                return 1 if drift else 0
            for status in statuses:
                mark = "[green]up to date[/]" if status.up_to_date else "[yellow]behind[/]"
                console.print(
                    f"{status.name:16} {','.join(status.current) or '(empty)':24} head {','.join(status.heads)}  {mark}"
                )
            return 0
        finally:
            await app.state.db.dispose()

    return asyncio.run(work())


# --- keys ----------------------------------------------------------------------------------


def _keys(args: argparse.Namespace, app: FastAPI) -> int:
    console = Console()

    async def work(app: FastAPI) -> int:
        keys = app.state.keys
        if args.action == "create":
            issued = await keys.create(args.name, args.scope, replace=args.replace)
            if args.quiet:
                print(issued.token)
            else:
                console.print(f"API key [bold]{issued.name}[/] ({issued.scope}) - shown once, store it now:")
                print(issued.token)
        elif args.action == "revoke":
            await keys.revoke(args.name)
            console.print(f"revoked {args.name}")
        else:
            table = Table(title="API keys")
            for column in ("name", "scope", "prefix", "created", "revoked"):
                table.add_column(column)
            for key in await keys.list():
                table.add_row(key.name, key.scope, key.prefix, str(key.created_at), str(key.revoked_at or "-"))
            console.print(table)
        return 0

    return _run_with_app(app, work)


# --- plugin commands -----------------------------------------------------------------------


def _plugin_command(command: CliCommand) -> Callable[[argparse.Namespace, FastAPI], int]:
    def run(args: argparse.Namespace, app: FastAPI) -> int:
        async def work(app: FastAPI) -> int | None:
            result = command.run(args, app)
            return await result if inspect.isawaitable(result) else result

        return _run_with_app(app, work)

    return run


def build_parser(plugin_commands: Sequence[CliCommand]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modular-server", description="Plugin-based inventory API server")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API (uvicorn)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(handler=_serve)

    plugins = sub.add_parser("plugins", help="list discovered plugins with their state")
    plugins.add_argument("action", nargs="?", choices=("list", "graph"), default="list")
    plugins.add_argument("--json", action="store_true", help="print JSON")
    plugins.add_argument("--check", action="store_true", help="exit 1 when an enabled plugin is not active")
    plugins.set_defaults(handler=_plugins)
    plugins.epilog = "modular-server plugins new NAME [--dir D]: generate a new plugin package"

    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=("upgrade", "current", "check", "revision"))
    db.add_argument("--plugin", help="with revision: whose history gets the new revision")
    db.add_argument("-m", "--message", default="change")
    db.add_argument("--empty", action="store_true", help="with revision: do not autogenerate")
    db.set_defaults(handler=_db)

    keys = sub.add_parser("keys", help="API keys")
    keys.add_argument("action", choices=("create", "list", "revoke"))
    keys.add_argument("name", nargs="?", help="with revoke: the key's name")
    keys.add_argument("--name", dest="name")
    keys.add_argument("--scope", choices=("read", "write", "admin"), default="read")
    keys.add_argument("--replace", action="store_true", help="replace a key of the same name")
    keys.add_argument("--quiet", action="store_true", help="print only the key")
    keys.set_defaults(handler=_keys)

    for command in plugin_commands:
        extra = sub.add_parser(command.name, help=command.help)
        command.configure(extra)
        extra.set_defaults(handler=_plugin_command(command))
    return parser


def _plugins_new(words: list[str]) -> int | None:
    """``plugins new NAME [--dir D]`` writes files only (no settings, app or database); None otherwise."""
    if words[:2] != ["plugins", "new"]:
        return None
    from modular_server.authoring.command import run

    return run(words[2:])


def main(argv: Sequence[str] | None = None) -> int:
    if (generated := _plugins_new(list(sys.argv[1:] if argv is None else argv))) is not None:
        return generated
    settings = Settings()
    configure_logging(settings)
    try:
        # `plugins` reports failures instead of refusing; every other command honours strict mode.
        words = list(sys.argv[1:] if argv is None else argv)
        wants_report = bool(words) and words[0] == "plugins"
        app = create_app(settings.model_copy(update={"strict_plugins": False}) if wants_report else settings)
        commands: list[CliCommand] = []
        for _name, found in app.state.host.collect("cli_commands"):
            commands.extend(found)
        parser = build_parser(commands)
        args = parser.parse_args(argv)
        if args.command == "keys" and args.action in ("create", "revoke") and not args.name:
            parser.error("keys create/revoke need a name")
        if args.command == "db" and args.action == "revision" and not args.plugin:
            parser.error("db revision needs --plugin")
        return int(args.handler(args, app) or 0)
    except (PluginStartupError, MigrationRequired) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Problem as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
