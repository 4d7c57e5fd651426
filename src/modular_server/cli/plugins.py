"""`modular-server plugins`: the report, the load graph and the start-up check.

Every subaction is one entry of :data:`ACTIONS` (name -> how to configure its parser and run
it), so a new one is added in one place.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modular_server.authoring import command as new_plugin
from modular_server.cli.output import CliError, console, line, literal, print_json
from modular_server.cli.session import Session
from modular_server.core.graph import find_cycle
from modular_server.core.states import PluginState

STATE_STYLE = {"active": "green", "disabled": "dim", "degraded": "yellow", "skipped": "yellow"}


@dataclass(frozen=True, slots=True)
class Action:
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Session], int]


def known_plugin(host: Any, name: str) -> Any:
    """The record of plugin ``name``; an unknown name is a one-line error (exit 2)."""
    record = host.records.get(name)
    if record is not None:
        return record
    close = difflib.get_close_matches(name, list(host.records), n=1)
    suggestion = f"; did you mean {close[0]!r}?" if close else ""
    installed = ", ".join(sorted(host.records)) or "none"
    raise CliError(f"unknown plugin {name!r}{suggestion} (installed plugins: {installed})")


def _would_not_serve(state: str) -> bool:
    """An enabled plugin that is not serving (what strict mode refuses)."""
    return not PluginState(state).serving and state != PluginState.DISABLED


def _style(state: str) -> str:
    return STATE_STYLE.get(state, "red")


# --- list and check ------------------------------------------------------------------------


def _configure_list(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these plugins")


def _list(args: argparse.Namespace, session: Session) -> int:
    check = None
    if args.check:
        # the check loads what the server loads, routers included
        from modular_server.cli.check import rehearse

        app = session.app(routes=True)
        for name in args.names:
            known_plugin(app.state.host, name)
        check = asyncio.run(rehearse(app))
        document = check.host.document()
    else:
        host = session.host()
        for name in args.names:
            known_plugin(host, name)
        document = host.document()
    if check is not None:
        document = {**document, "migrations": [m.as_dict() for m in check.migrations]}
        document["notes"] = check.notes
    if args.names:
        document["items"] = [item for item in document["items"] if item["name"] in args.names]
    failed = [item["name"] for item in document["items"] if _would_not_serve(item["state"])]
    # with names, only their histories count - and the core's, without which none starts
    counted = {"core", *args.names} if args.names else None
    failed_migrations = check is not None and any(
        not m.ok and (counted is None or m.history in counted) for m in check.migrations
    )
    if check is not None:
        document["ok"] = not failed and not failed_migrations
    if args.json:
        print_json(document)
    else:
        _print_table(document["items"], checked=check is not None)
        if check is not None:
            _print_check(document, failed)
    return 1 if args.check and (failed or failed_migrations) else 0


def _print_table(items: Sequence[Mapping[str, Any]], checked: bool) -> None:
    # here, not at the top: `plugins --json` and `db` (which looks plugins up) draw no table
    from rich.table import Table

    title = "modular-server plugins" + (" (checked: migrations, startup, shutdown)" if checked else "")
    table = Table(title=title)
    for column in ("plugin", "state", "version", "requires", "reason / hint", "ms"):
        table.add_column(column, overflow="fold")
    for item in items:
        reason = literal(item["reason"] or "-")
        if item["hint"]:
            reason.append("\nfix: ")
            reason.append(item["hint"], style="dim")
        table.add_row(
            literal(item["name"]),
            literal(item["state"], _style(item["state"])),
            literal(item["version"] or "-"),
            literal(", ".join(item["requires"]) or "-"),
            reason,
            f"{sum(item['timings_ms'].values()):.1f}",
        )
    console().print(table)


def _print_check(document: Mapping[str, Any], failed: Sequence[str]) -> None:
    out = console()
    for migration in document["migrations"]:
        pending = ", ".join(migration["pending"])
        if migration["error"]:
            out.print(line(("migrations ", "red"), f"{migration['history']}: {pending} failed: {migration['error']}"))
        elif pending:
            out.print(line(("migrations ", "green"), f"{migration['history']}: {pending} apply (rolled back)"))
    for note in document["notes"]:
        out.print(line(("note ", "yellow"), note))
    if document["ok"]:
        out.print(literal("check passed: every enabled plugin would be active", "green"))
    else:
        what = ", ".join(failed) or "migrations"
        out.print(literal(f"check failed: not active: {what}", "red"))


def _check(args: argparse.Namespace, session: Session) -> int:
    args.check = True
    return _list(args, session)


# --- graph ---------------------------------------------------------------------------------


def _configure_graph(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", metavar="NAME", help="only this plugin and what it requires")


def graph_document(host: Any, only: str | None = None) -> dict[str, Any]:
    """Every plugin in load order with its state, requirements and, if it stands on a
    dependency cycle, that cycle's path."""
    requires = {name: record.requires for name, record in host.records.items()}
    on_cycle = _cycles(requires)
    wanted = _closure(requires, only) if only else set(requires)
    plugins = []
    for name in host.order:
        if name not in wanted:
            continue
        record = host.records[name]
        plugins.append(
            {
                "name": name,
                "state": record.state.value,
                "requires": sorted(record.requires),
                "imported": record.obj is not None,
                "declared": record.spec is not None,
                "cycle": on_cycle.get(name),
            }
        )
    return {"order": [p["name"] for p in plugins], "plugins": plugins}


def _cycles(requires: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    remaining = dict(requires)
    found: dict[str, list[str]] = {}
    while cycle := find_cycle(remaining):
        for name in cycle:
            found.setdefault(name, cycle)
            remaining.pop(name, None)
    return found


def _closure(requires: Mapping[str, Sequence[str]], name: str) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen or current not in requires:
            continue
        seen.add(current)
        todo.extend(requires[current])
    return seen


def _graph(args: argparse.Namespace, session: Session) -> int:
    host = session.host()
    if args.name:
        known_plugin(host, args.name)
    document = graph_document(host, args.name)
    if args.json:
        print_json(document)
        return 0
    out = console()
    for index, plugin in enumerate(document["plugins"], 1):
        if plugin["cycle"]:
            why = ("on a dependency cycle: " + " -> ".join(plugin["cycle"]), "red")
        elif not plugin["declared"]:
            why = ("requirements unknown (not imported, no plugin.toml)", "dim")
        elif plugin["requires"]:
            why = (f"after {', '.join(plugin['requires'])}", "")
        else:
            why = ("no requirements", "")
        out.print(
            line(
                f"{index:2}. ", (plugin["name"], "bold"), " (", (plugin["state"], _style(plugin["state"])), ") - ", why
            )
        )
    return 0


ACTIONS: dict[str, Action] = {
    "list": Action("every discovered plugin with state, reason and fix hint", _configure_list, _list),
    "graph": Action("the load order: requirements, cycles, states", _configure_graph, _graph),
    "check": Action(
        "run migrations (rolled back), startup and shutdown; exit 1 unless every enabled plugin is active",
        _configure_list,
        _check,
    ),
    # runs before the settings are read (modular_server.cli._plugins_new); here for --help
    "new": Action(new_plugin.HELP, new_plugin.configure, lambda args, _app: new_plugin.generate(args)),
}


def configure(parser: argparse.ArgumentParser) -> None:
    """The `plugins` command: `plugins [--json] [--check]` lists; subactions from ACTIONS."""
    parser.add_argument("--json", action="store_true", help="print JSON (the shape of GET /api/v1/system/plugins)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="also run migrations (rolled back), startup and shutdown; exit 1 unless every enabled plugin is active",
    )
    parser.set_defaults(handler=run, action="list", names=[])
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    for name, action in ACTIONS.items():
        sub = actions.add_parser(name, help=action.help, description=action.help)
        # SUPPRESS: `plugins --json graph` and `plugins graph --json` mean the same
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
        action.configure(sub)


def run(args: argparse.Namespace, session: Session) -> int:
    return ACTIONS[args.action or "list"].run(args, session)
