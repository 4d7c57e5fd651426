"""`modular-server db`: upgrade, status, check (drift) and new revisions, per plugin history."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

from modular_server.cli.output import CliError, console, line, literal, print_json
from modular_server.cli.session import Session

if TYPE_CHECKING:
    from modular_server.core.data import DataLayer
    from modular_server.core.migrator import HistoryStatus


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=("upgrade", "status", "current", "check", "revision"),
        help="upgrade: apply pending migrations; status (alias current): each history's revision; "
        "check: compare the schema with the models; revision: write a new migration",
    )
    parser.add_argument("--plugin", help="with revision: whose history gets the new revision")
    parser.add_argument("-m", "--message", default="change", help="with revision: its message")
    parser.add_argument("--empty", action="store_true", help="with revision: do not autogenerate")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, session: Session) -> int:
    # migrations need the plugins' models and histories, not their routers nor the web framework
    data = session.data()
    if args.action == "revision":
        return _revision(args, data)

    async def work() -> int:
        try:
            if args.action == "check":
                return await _check(args, data)
            migrator = data.migrator
            statuses = await (migrator.upgrade() if args.action == "upgrade" else migrator.status())
            _print_statuses(statuses, args.json)
            return 0
        finally:
            await data.db.dispose()

    return asyncio.run(work())


def _print_statuses(statuses: list[HistoryStatus], as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "histories": [
                    {"name": s.name, "current": list(s.current), "heads": list(s.heads), "up_to_date": s.up_to_date}
                    for s in statuses
                ]
            }
        )
        return
    out = console()
    for status in statuses:
        mark = ("up to date", "green") if status.up_to_date else ("behind", "yellow")
        current = ",".join(status.current) or "(empty)"
        out.print(line(f"{status.name:16} {current:24} head {','.join(status.heads)}  ", mark))


async def _check(args: argparse.Namespace, data: DataLayer) -> int:
    drift = await data.migrator.drift()
    if args.json:
        items = [{"history": name, **diff.as_dict()} for name, diffs in drift.items() for diff in diffs]
        print_json({"ok": not drift, "drift": items})
        return 1 if drift else 0
    out = console()
    for name, diffs in drift.items():
        for diff in diffs:
            out.print(line(("drift ", "red"), f"{name}: {diff}"))
    if not drift:
        out.print(literal("schema matches the models", "green"))
    return 1 if drift else 0


def _revision(args: argparse.Namespace, data: DataLayer) -> int:
    if not args.plugin:
        raise CliError("db revision needs --plugin NAME (the history that gets the revision)")
    # only `revision` names a plugin: the other actions do without the plugins command's
    # module (its table printing and the authoring kit)
    from modular_server.cli.plugins import known_plugin

    record: Any = None if args.plugin == "core" else known_plugin(data.host, args.plugin)
    if record is not None and not record.state.serving:
        raise CliError(f"plugin {args.plugin!r} is {record.state.value}: {record.reason}")
    if record is not None and record.migrations is None:
        raise CliError(
            f"plugin {args.plugin!r} has no migration history; return its versions folder from migration_locations"
        )
    path = data.migrator.revision(args.plugin, args.message, autogenerate=not args.empty)
    if args.json:
        print_json({"history": args.plugin, "path": str(path) if path else None})
    else:
        console().print(literal(f"wrote {path}"))
    return 0
