"""``modular-server notifications-check``: run the daily check once."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from modular_server.plugin import CliCommand, host_of
from modular_server.plugins.notifications import NAME
from modular_server.plugins.notifications.runtime import NotificationsRuntime

if TYPE_CHECKING:
    from argparse import ArgumentParser, Namespace

    from fastapi import FastAPI


def _configure_check(parser: ArgumentParser) -> None:
    parser.add_argument("--stichtag", default=None, help="check as of this day (YYYY-MM-DD; default: today, UTC)")


async def _run_check(args: Namespace, app: FastAPI) -> int:
    runtime = NotificationsRuntime(app, host_of(app).settings_for(NAME))
    result = await runtime.run_daily_check(date.fromisoformat(args.stichtag) if args.stichtag else None)
    print(result.model_dump_json())
    return 0


COMMANDS = [
    CliCommand(
        name="notifications-check",
        help="run the daily check (expiring batches, low stock) once; idempotent",
        configure=_configure_check,
        run=_run_check,
    )
]
