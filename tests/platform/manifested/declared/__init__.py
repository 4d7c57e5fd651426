"""A plugin whose spec is only its plugin.toml."""

from __future__ import annotations

from argparse import ArgumentParser, Namespace
from typing import Any

from fastapi import APIRouter

from modular_server.plugin import CliCommand, hookimpl

router = APIRouter()


@router.get("/api/v1/declared")
async def hello() -> dict[str, str]:
    return {"plugin": "declared"}


@router.get("/declared-page")
async def page() -> dict[str, str]:
    return {"page": "declared"}


@hookimpl
def register_routes() -> list[APIRouter]:
    return [router]


def _configure(parser: ArgumentParser) -> None:
    parser.add_argument("--who", default="world")


def _run(args: Namespace, app: Any) -> int:
    print(f"hello {args.who}")
    return 0


COMMAND = CliCommand("declared-hello", "say hello", _configure, _run)
