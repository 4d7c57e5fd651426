"""CLI commands of the lager plugin: ``demo-data`` and ``lager verify``."""

from __future__ import annotations

import time
from argparse import ArgumentParser, Namespace
from datetime import UTC, datetime

from fastapi import FastAPI
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from modular_server.plugin import CliCommand, host_of


def _configure_demo(parser: ArgumentParser) -> None:
    parser.add_argument("--scale", type=int, default=1, help="1 = 1,000 artikel, 50,000 bewegungen; 10 = ten times")
    parser.add_argument("--if-empty", action="store_true", help="do nothing when artikel exist already")
    parser.add_argument("--seed", type=int, default=7)


async def _run_demo(args: Namespace, app: FastAPI) -> int:
    from modular_server.plugins.lager import demo

    console = Console()
    db = app.state.db
    if await demo.has_data(db):
        if args.if_empty:
            console.print("demo data: artikel exist already - nothing to do")
            return 0
        console.print("[red]the database holds artikel already; demo data needs an empty inventory[/]")
        return 1
    started = time.perf_counter()
    with_reservations = host_of(app).is_serving("reservierungen")
    tables = demo.generate(max(1, args.scale), datetime.now(UTC).date(), with_reservations, seed=args.seed)
    total = sum(len(rows) for rows in tables.values())
    with Progress(
        TextColumn("{task.description:28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("demo data", total=total)

        def advance(table: str, rows: int) -> None:
            progress.update(task, advance=rows, description=f"demo data: {table}")

        await demo.load(db, tables, advance)
    counts = ", ".join(f"{len(rows)} {name}" for name, rows in tables.items() if rows)
    console.print(f"demo data loaded in {time.perf_counter() - started:.1f}s: {counts}")
    return 0


def _configure_lager(parser: ArgumentParser) -> None:
    parser.add_argument("action", choices=("verify",), help="verify: recompute every balance from the ledger")


async def _run_lager(args: Namespace, app: FastAPI) -> int:
    from modular_server.plugins.lager.verify import find_drift

    console = Console()
    async with app.state.db.session() as session:
        drift = await find_drift(session, with_reservations=host_of(app).is_serving("reservierungen"))
    for item in drift[:200]:
        console.print(f"[red]drift[/] {item}")
    if drift:
        console.print(f"[red]{len(drift)} balance value(s) disagree with the ledger[/]")
        return 1
    console.print("[green]every balance agrees with the ledger[/]")
    return 0


def commands() -> list[CliCommand]:
    return [
        CliCommand(
            "demo-data", "fill an empty database with a realistic inventory dataset", _configure_demo, _run_demo
        ),
        CliCommand(
            "lager", "stock tools: `lager verify` recomputes balances from the ledger", _configure_lager, _run_lager
        ),
    ]
