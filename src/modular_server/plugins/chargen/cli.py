"""``modular-server chargen-ablauf``: report the batches whose MHD is near, once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modular_server.plugin import CliCommand
from modular_server.plugins.chargen.ablauf import melde_ablaufende

if TYPE_CHECKING:
    from argparse import ArgumentParser, Namespace

    from fastapi import FastAPI


def _configure_ablauf(parser: ArgumentParser) -> None:
    parser.add_argument("--tage", type=int, default=None, help="warning window in days (default: setting)")


async def _run_ablauf(args: Namespace, app: FastAPI) -> int:
    gemeldet = await melde_ablaufende(app, args.tage)
    print(f"{gemeldet} expiring batches reported")
    return 0


COMMANDS = [
    CliCommand(
        name="chargen-ablauf",
        help="publish charge.laeuft_ab for every free batch whose MHD is near",
        configure=_configure_ablauf,
        run=_run_ablauf,
    )
]
