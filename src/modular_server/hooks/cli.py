"""Extra ``modular-server`` subcommands contributed by plugins."""

from __future__ import annotations

from argparse import ArgumentParser, Namespace
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


@dataclass(frozen=True, slots=True)
class CliCommand:
    """``configure`` adds arguments to the subcommand's parser; ``run`` gets the parsed
    arguments and an app whose plugins are loaded and whose database is migrated (not served).
    ``run`` may be async; its integer return value is the exit code."""

    name: str
    help: str
    configure: Callable[[ArgumentParser], None]
    run: Callable[[Namespace, FastAPI], int | Awaitable[int | None] | None]
