"""Shared pieces of the core tests: fake plugin sources and a start-up helper."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modular_server.core.app import create_app
from modular_server.core.sources import PluginSource
from modular_server.settings import Settings
from tests.fakes import misbehaving

BROKEN = PluginSource.from_module("tests.fakes.raises_on_import", "broken")


def _must_not_import() -> Any:
    raise AssertionError("a plugin whose requirements are missing must not be imported")


NEEDS_DISTRIBUTION = PluginSource(
    name="needs_dist",
    load=_must_not_import,
    requirements=(misbehaving.MISSING_DISTRIBUTION,),
    origin="fake: needs_dist [fake]",
    extras=("fake",),
)


def as_sources(plugins: Sequence[Any]) -> list[PluginSource]:
    return [p if isinstance(p, PluginSource) else PluginSource.from_object(p) for p in plugins]


async def start_and_stop(settings: Settings, plugins: Sequence[Any]) -> None:
    """Build the app and run its lifespan once (what `modular-server serve` does first)."""
    app = create_app(settings, sources=as_sources(plugins))
    async with app.router.lifespan_context(app):
        pass
