"""A small inventory built through the API, for the lager and reservierungen tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from modular_server.testing import RunningApp

#: the plugins the inventory tests need; leaving out the observers (anomaly scoring, cache,
#: monitoring, notifications) keeps statement counts exact and the suite fast
INVENTORY = ["artikel", "chargen", "lager", "reservierungen"]


async def drift(running: RunningApp) -> list[Any]:
    """What ``modular-server lager verify`` reports: balances that disagree with the ledger and
    the open reservations (empty when all agree)."""
    from modular_server.plugins.lager.verify import find_drift

    async with running.app.state.db.session() as session:
        return await find_drift(session, with_reservations=True)


@dataclass
class World:
    client: httpx.AsyncClient
    kg: int = 0
    artikel: int = 0
    lose_ware: int = 0
    chargen: list[int] = field(default_factory=list)
    lager: int = 0
    orte: list[int] = field(default_factory=list)

    async def post(self, path: str, body: dict[str, Any], status: int = 201, **kwargs: Any) -> dict[str, Any]:
        response = await self.client.post(path, json=body, **kwargs)
        assert response.status_code == status, response.text
        return response.json()

    async def eingang(
        self, menge: str, charge: int | None = None, ort: int | None = None, **extra: Any
    ) -> dict[str, Any]:
        body = {
            "typ": "eingang",
            "artikel_id": self.artikel,
            "charge_id": charge or self.chargen[0],
            "nach_lagerort_id": ort or self.orte[0],
            "menge": menge,
            **extra,
        }
        return await self.post("/api/v1/bewegungen", body)

    async def ausgang(self, menge: str, charge: int | None = None, ort: int | None = None, **extra: Any) -> Any:
        """The raw response: callers check refusals too."""
        body = {
            "typ": "ausgang",
            "artikel_id": self.artikel,
            "charge_id": charge or self.chargen[0],
            "von_lagerort_id": ort or self.orte[0],
            "menge": menge,
            **extra,
        }
        return await self.client.post("/api/v1/bewegungen", json=body)

    async def bestand(self, **filters: Any) -> list[dict[str, Any]]:
        response = await self.client.get("/api/v1/bestand", params={"limit": 500, **filters})
        assert response.status_code == 200, response.text
        return response.json()["items"]


async def build_world(client: httpx.AsyncClient, *, chargen: int = 3, orte: int = 3) -> World:
    world = World(client)
    world.kg = (
        await world.post(
            "/api/v1/einheiten", {"code": "kg", "name": "Kilogramm", "kategorie": "gewicht", "faktor": "1"}
        )
    )["id"]
    await world.post("/api/v1/einheiten", {"code": "g", "name": "Gramm", "kategorie": "gewicht", "faktor": "0.001"})
    await world.post("/api/v1/einheiten", {"code": "l", "name": "Liter", "kategorie": "volumen", "faktor": "1"})
    world.artikel = (
        await world.post(
            "/api/v1/artikel",
            {"nummer": "MEHL-405", "name": "Weizenmehl 405", "einheit_id": world.kg, "mindestbestand": "5"},
        )
    )["id"]
    world.lose_ware = (
        await world.post(
            "/api/v1/artikel", {"nummer": "SALZ", "name": "Salz", "einheit_id": world.kg, "chargenpflicht": False}
        )
    )["id"]
    today = date.today()
    for n in range(chargen):
        # later batches expire earlier: FEFO must not simply follow ids
        mhd = (today + timedelta(days=300 - 100 * n)).isoformat()
        world.chargen.append(
            (await world.post("/api/v1/chargen", {"artikel_id": world.artikel, "nummer": f"CH-{n}", "mhd": mhd}))["id"]
        )
    world.lager = (await world.post("/api/v1/lager", {"code": "HAUPT", "name": "Hauptlager"}))["id"]
    for n in range(orte):
        world.orte.append(
            (await world.post("/api/v1/lagerorte", {"lager_id": world.lager, "code": f"P{n}", "name": f"Platz {n}"}))[
                "id"
            ]
        )
    return world
