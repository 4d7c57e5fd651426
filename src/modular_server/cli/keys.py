"""`modular-server keys`: create, list and revoke API keys."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from modular_server.cli.output import CliError, console, line, literal, print_json
from modular_server.cli.session import Session

if TYPE_CHECKING:
    from modular_server.core.data import DataLayer


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("create", "list", "revoke"))
    parser.add_argument("name", nargs="?", help="with revoke: the key's name")
    parser.add_argument("--name", dest="name")
    parser.add_argument("--scope", choices=("read", "write", "admin"), default="read")
    parser.add_argument("--replace", action="store_true", help="replace a key of the same name")
    parser.add_argument("--quiet", action="store_true", help="print only the key")
    parser.add_argument("--json", action="store_true", help="with list: print JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, session: Session) -> int:
    if args.action in ("create", "revoke") and not args.name:
        raise CliError(f"keys {args.action} needs a name")
    # keys live in the core's tables: only the core's schema must be current; no plugin is loaded
    data = session.data(plugins=False)

    async def main() -> int:
        try:
            await data.migrator.ensure_current(data.settings.migrate_on_startup)
            return await _work(args, data)
        finally:
            await data.db.dispose()

    return asyncio.run(main())


async def _work(args: argparse.Namespace, data: DataLayer) -> int:
    keys = data.keys
    out = console()
    if args.action == "create":
        issued = await keys.create(args.name, args.scope, replace=args.replace)
        if not args.quiet:
            out.print(line("API key ", (issued.name, "bold"), f" ({issued.scope}) - shown once, store it now:"))
        print(issued.token)
    elif args.action == "revoke":
        await keys.revoke(args.name)
        out.print(literal(f"revoked {args.name}"))
    elif args.json:
        found = await keys.list()
        print_json(
            {
                "items": [
                    {
                        "name": k.name,
                        "scope": k.scope,
                        "prefix": k.prefix,
                        "created_at": k.created_at,
                        "revoked_at": k.revoked_at,
                    }
                    for k in found
                ]
            }
        )
    else:
        # only the human-readable list draws a table: create and revoke print one line
        from rich.table import Table

        table = Table(title="API keys")
        for column in ("name", "scope", "prefix", "created", "revoked"):
            table.add_column(column, overflow="fold")
        for key in await keys.list():
            table.add_row(literal(key.name), key.scope, key.prefix, str(key.created_at), str(key.revoked_at or "-"))
        out.print(table)
    return 0
