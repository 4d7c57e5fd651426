"""Every write endpoint of the inventory plugins, with the cache: after each write, every cached
read answers exactly what the handler computes now (``Cache-Control: no-cache``), and the
reads built from what the write changed were evicted (MISS)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from modular_server.plugins import cache as cache_plugin
from modular_server.testing import RunningApp
from tests.cache.support import LEVELS
from tests.inventory.world import INVENTORY, build_world

V = "/api/v1"


async def warm_and_compare(client: httpx.AsyncClient, reads: dict[str, str], write: str) -> set[str]:
    """Read everything twice (cached, then recomputed); the names that missed the cache."""
    missed = set()
    for name, path in reads.items():
        cached = await client.get(path)
        truth = await client.get(path, headers={"Cache-Control": "no-cache"})
        assert cached.status_code == truth.status_code == 200, (write, name, cached.text)
        assert cached.content == truth.content, f"{name} is stale after {write}"
        if cached.headers["x-cache"] == "MISS":
            missed.add(name)
        assert (await client.get(path)).headers["x-cache"] == "HIT", (write, name)
    return missed


@pytest.mark.parametrize("level", LEVELS, indirect=True)
async def test_every_inventory_write_leaves_no_stale_response(
    make_app: Callable[..., Any], redis_settings: dict[str, Any], level: str
) -> None:
    settings = {"redis_timeout_ms": 500}
    async with make_app([cache_plugin], only=INVENTORY, cache=settings, **redis_settings) as running:
        await _walk(running)


async def _walk(running: RunningApp) -> None:
    client = running.client
    world = await build_world(client, chargen=3, orte=2)
    c0, c1, c2 = world.chargen
    buchung = await world.eingang("10", charge=c0)
    reservierung = (await world.post(f"{V}/reservierungen", {"charge_id": c0, "menge": "2"}))["items"][0]
    reads = {
        "einheiten": f"{V}/einheiten",
        "einheit": f"{V}/einheiten/{world.kg}",
        "artikel_liste": f"{V}/artikel",
        "artikel": f"{V}/artikel/{world.artikel}",
        "chargen": f"{V}/chargen",
        "ablaufend": f"{V}/chargen/ablaufend?tage=400",
        "charge": f"{V}/chargen/{c0}",
        "verfolgung": f"{V}/chargen/{c1}/verfolgung",
        "verfuegbarkeit": f"{V}/artikel/{world.artikel}/verfuegbarkeit",
        "lager_liste": f"{V}/lager",
        "lager": f"{V}/lager/{world.lager}",
        "lagerorte": f"{V}/lagerorte",
        "lagerort": f"{V}/lagerorte/{world.orte[0]}",
        "bestand": f"{V}/bestand",
        "bewegungen": f"{V}/bewegungen",
        "bewegung": f"{V}/bewegungen/{buchung['id']}",
        "reservierungen": f"{V}/reservierungen",
        "reservierung": f"{V}/reservierungen/{reservierung['id']}",
    }
    await warm_and_compare(client, reads, "setup")
    created: dict[str, int] = {}

    async def send(method: str, path: str, body: dict[str, Any] | None = None, key: str | None = None) -> None:
        response = await client.request(method, f"{V}{path}", json=body)
        assert response.status_code < 300, (method, path, response.text)
        if key is not None:
            answer = response.json()
            created[key] = answer["items"][0]["id"] if "items" in answer else answer["id"]

    async def eingang() -> None:
        created["eingang"] = (await world.eingang("5", charge=c1))["id"]

    writes: list[tuple[str, Callable[[], Awaitable[None]], set[str]]] = [
        (
            "einheit anlegen",
            lambda: send(
                "POST",
                "/einheiten",
                {"code": "t", "name": "Tonne", "kategorie": "gewicht", "faktor": "1000"},
                "einheit",
            ),
            {"einheiten"},
        ),
        (
            "einheit umbenennen",
            lambda: send("PATCH", f"/einheiten/{world.kg}", {"name": "Kilo"}),
            {"einheiten", "einheit", "artikel"},
        ),
        ("einheit loeschen", lambda: send("DELETE", f"/einheiten/{created['einheit']}"), {"einheiten"}),
        (
            "artikel anlegen",
            lambda: send("POST", "/artikel", {"nummer": "ZUCKER", "name": "Zucker", "einheit_id": world.kg}, "artikel"),
            {"artikel_liste"},
        ),
        (
            "artikel aendern",
            lambda: send("PATCH", f"/artikel/{world.artikel}", {"name": "Mehl Typ 405"}),
            {"artikel_liste", "artikel", "chargen", "charge", "verfuegbarkeit"},
        ),
        ("artikel loeschen", lambda: send("DELETE", f"/artikel/{created['artikel']}"), {"artikel_liste"}),
        (
            "charge anlegen",
            lambda: send("POST", "/chargen", {"artikel_id": world.artikel, "nummer": "CH-NEU"}, "charge"),
            {"chargen", "verfuegbarkeit"},
        ),
        ("charge aendern", lambda: send("PATCH", f"/chargen/{c0}", {"lieferant": "Muehle"}), {"chargen", "charge"}),
        ("charge loeschen", lambda: send("DELETE", f"/chargen/{created['charge']}"), {"chargen"}),
        (
            "charge sperren",
            lambda: send("POST", f"/chargen/{c0}/sperren", {"grund": "gesperrt"}),
            {"chargen", "charge"},
        ),
        ("charge freigeben", lambda: send("POST", f"/chargen/{c0}/freigeben"), {"chargen", "charge"}),
        (
            "herkunft anlegen",
            lambda: send("POST", f"/chargen/{c1}/herkunft", {"parent_id": c2, "art": "umpackung"}),
            {"verfolgung"},
        ),
        ("herkunft loeschen", lambda: send("DELETE", f"/chargen/{c1}/herkunft/{c2}"), {"verfolgung"}),
        (
            "lager anlegen",
            lambda: send("POST", "/lager", {"code": "NEBEN", "name": "Nebenlager"}, "lager"),
            {"lager_liste"},
        ),
        (
            "lager aendern",
            lambda: send("PATCH", f"/lager/{world.lager}", {"name": "Zentrallager"}),
            {"lager_liste", "lager"},
        ),
        ("lager loeschen", lambda: send("DELETE", f"/lager/{created['lager']}"), {"lager_liste"}),
        (
            "lagerort anlegen",
            lambda: send("POST", "/lagerorte", {"lager_id": world.lager, "code": "P9", "name": "Platz 9"}, "ort"),
            {"lagerorte"},
        ),
        (
            "lagerort aendern",
            lambda: send("PATCH", f"/lagerorte/{world.orte[0]}", {"name": "Vorne"}),
            {"lagerorte", "lagerort", "bestand"},
        ),
        ("lagerort loeschen", lambda: send("DELETE", f"/lagerorte/{created['ort']}"), {"lagerorte"}),
        (
            "eingang buchen",
            eingang,
            {"bestand", "bewegungen", "chargen", "charge", "verfuegbarkeit"},
        ),
        (
            "batch buchen",
            lambda: send(
                "POST",
                "/bewegungen/batch",
                {
                    "items": [
                        {
                            "typ": "umbuchung",
                            "artikel_id": world.artikel,
                            "charge_id": c0,
                            "von_lagerort_id": world.orte[0],
                            "nach_lagerort_id": world.orte[1],
                            "menge": "1",
                        }
                    ]
                },
            ),
            {"bestand", "bewegungen", "charge"},
        ),
        (
            "stornieren",
            lambda: send("POST", f"/bewegungen/{created['eingang']}/storno", {}),
            {"bestand", "bewegungen", "verfuegbarkeit"},
        ),
        (
            "reservieren",
            lambda: send("POST", "/reservierungen", {"charge_id": c0, "menge": "1"}, "reservierung"),
            {"reservierungen", "bestand"},
        ),
        (
            "reservierung erfuellen",
            lambda: send("POST", f"/reservierungen/{reservierung['id']}/erfuellen", {}),
            {"reservierungen", "reservierung", "bestand", "bewegungen"},
        ),
        (
            "reservierung stornieren",
            lambda: send("POST", f"/reservierungen/{created['reservierung']}/stornieren"),
            {"reservierungen", "bestand"},
        ),
        ("rueckruf", lambda: send("POST", f"/chargen/{c2}/rueckruf", {"grund": "zurueckgerufen"}), {"chargen"}),
    ]
    for name, write, affected in writes:
        await write()
        missed = await warm_and_compare(client, reads, name)
        assert affected <= missed, f"{name}: {sorted(affected - missed)} were served from the cache"
