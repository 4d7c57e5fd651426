"""A plugin whose async startup never finishes within the deadline."""

from __future__ import annotations

import asyncio
from typing import Any

from modular_server.plugin import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="fixture_startup_slow")


@hookimpl
async def startup(app: Any) -> None:
    await asyncio.sleep(60)
