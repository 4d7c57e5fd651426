"""The plugin's runtime object (``host_of(app).data["chargen"]``): what other plugins may use
at runtime without importing this plugin. Chargen runs no background loop of its own: the
notifications plugin's daily check calls :meth:`ChargenRuntime.melde_ablaufende`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from modular_server.plugins.chargen.ablauf import melde_ablaufende

if TYPE_CHECKING:
    from fastapi import FastAPI


@dataclass(frozen=True, slots=True)
class ChargenRuntime:
    """What other plugins may use at runtime, without importing this plugin (host.data["chargen"])."""

    app: FastAPI

    async def melde_ablaufende(self, tage: int | None = None, stichtag: date | None = None) -> int:
        return await melde_ablaufende(self.app, tage, stichtag)
