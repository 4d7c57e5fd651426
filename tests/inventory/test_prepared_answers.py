"""Read answers built from plain rows (``JsonAnswer``) are byte for byte what FastAPI sends
for the validated response model, on several pages and filters, on both backends."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from modular_server.plugin import Page
from modular_server.plugins.artikel.schemas import ArtikelOut
from modular_server.plugins.chargen.schemas import ChargeDetail, ChargeOut, VerfuegbarkeitOut
from modular_server.testing import BOTH
from tests.inventory.world import INVENTORY, World, build_world


def assert_model_bytes(response: httpx.Response, model: type[BaseModel]) -> dict[str, Any]:
    """The answer equals the model validated from it and serialised as FastAPI does
    (``model_dump_json``): same fields, order, number and date formats, escapes."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.content == model.model_validate_json(response.content).model_dump_json().encode()
    return response.json()


async def _chargen(w: World) -> list[int]:
    """Batches with odd text, no dates, stock or none, blocked: what the answers must carry alike."""
    made = []
    for n, lieferant in enumerate(['Mühle "Nord" GmbH', "a\\b\tc / <d> \u2028 ✓", None]):
        body = {"artikel_id": w.artikel, "nummer": f"Ä-{n}", "lieferant": lieferant, "lieferanten_charge": "x" * n}
        made.append((await w.post("/api/v1/chargen", body))["id"])
    await w.post(f"/api/v1/chargen/{made[1]}/sperren", {"grund": "Labor"}, status=200)
    for menge, charge in (("12.5", w.chargen[0]), ("0.001", w.chargen[1]), ("7", made[0])):
        await w.eingang(menge, charge=charge)
    await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "2.25", "referenz_typ": "auftrag"})
    return made


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_batch_lists_are_the_validated_models_bytes(make_app) -> None:
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client, chargen=4)
        made = await _chargen(w)
        client = running.client
        stichtag = date.today().isoformat()
        lists = [
            {"limit": 2},
            {"limit": 500},
            {"limit": 3, "artikel_id": w.artikel},
            {"limit": 2, "status": "frei"},
            {"status": "gesperrt"},
            {"nummer": "Ä-0"},
            {"nummer": "nirgends"},
        ]
        seen = set()
        for params in lists:
            path, query = "/api/v1/chargen", dict(params)
            while True:  # every page of the list
                page = assert_model_bytes(await client.get(path, params=query), Page[ChargeOut])
                seen.update(item["id"] for item in page["items"])
                if page["next_cursor"] is None:
                    break
                query["cursor"] = page["next_cursor"]
        assert seen == {*w.chargen, *made}
        for params in ({"tage": 3650, "limit": 2}, {"tage": 3650, "mit_bestand": "true"}, {"tage": 1}):
            query = {"stichtag": stichtag, **params}
            while True:
                page = assert_model_bytes(await client.get("/api/v1/chargen/ablaufend", params=query), Page[ChargeOut])
                if page["next_cursor"] is None:
                    break
                query["cursor"] = page["next_cursor"]
        # a stocked batch carries its totals, one without stock zeros (not null)
        stocked = assert_model_bytes(await client.get("/api/v1/chargen", params={"nummer": "CH-0"}), Page[ChargeOut])
        assert stocked["items"][0]["bestand"] == {"menge": "12.500", "reserviert": "2.250", "verfuegbar": "10.250"}
        empty = assert_model_bytes(await client.get("/api/v1/chargen", params={"nummer": "Ä-2"}), Page[ChargeOut])
        assert empty["items"][0]["bestand"] == {"menge": "0.000", "reserviert": "0.000", "verfuegbar": "0.000"}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_without_lager_the_batch_list_carries_no_stock(make_app) -> None:
    async with make_app(only=["artikel", "chargen"]) as running:
        w = await build_world_without_lager(running.client)
        page = assert_model_bytes(await running.client.get("/api/v1/chargen"), Page[ChargeOut])
        assert [(i["id"], i["bestand"]) for i in page["items"]] == [(w, None)]


async def build_world_without_lager(client: httpx.AsyncClient) -> int:
    einheit = await client.post(
        "/api/v1/einheiten", json={"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": 1}
    )
    artikel = await client.post(
        "/api/v1/artikel", json={"nummer": "A", "name": "A", "einheit_id": einheit.json()["id"]}
    )
    charge = await client.post("/api/v1/chargen", json={"artikel_id": artikel.json()["id"], "nummer": "C"})
    assert charge.status_code == 201, charge.text
    return int(charge.json()["id"])


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_details_availability_and_the_artikel_list_are_the_validated_models_bytes(make_app) -> None:
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client, chargen=3)
        made = await _chargen(w)
        await w.eingang("3.5", charge=w.chargen[2], ort=w.orte[1])
        blocked = await running.client.patch(f"/api/v1/lagerorte/{w.orte[1]}", json={"gesperrt": True})
        assert blocked.status_code == 200, blocked.text
        client = running.client
        for charge_id in [*w.chargen, *made]:
            assert_model_bytes(await client.get(f"/api/v1/chargen/{charge_id}"), ChargeDetail)
        detail = assert_model_bytes(await client.get(f"/api/v1/chargen/{w.chargen[0]}"), ChargeDetail)
        assert [r["offen"] for r in detail["reservierungen"]] == ["2.250"]
        for artikel_id in (w.artikel, w.lose_ware):
            for stichtag in (date.today(), date(2000, 1, 1), date(2100, 1, 1)):
                path = f"/api/v1/artikel/{artikel_id}/verfuegbarkeit"
                view = assert_model_bytes(
                    await client.get(path, params={"stichtag": stichtag.isoformat()}), VerfuegbarkeitOut
                )
                assert view["stichtag"] == stichtag.isoformat()
        for params in (
            {"limit": 1},
            {"limit": 500},
            {"kategorie": "nirgends"},
            {"aktiv": "true", "limit": 1},
            {"name": "Weiz"},
        ):
            query = dict(params)
            while True:
                page = assert_model_bytes(await client.get("/api/v1/artikel", params=query), Page[ArtikelOut])
                if page["next_cursor"] is None:
                    break
                query["cursor"] = page["next_cursor"]
        lookup = assert_model_bytes(
            await client.get("/api/v1/artikel", params={"ids": f"{w.artikel},{w.lose_ware}"}), Page[ArtikelOut]
        )
        assert [a["id"] for a in lookup["items"]] == sorted([w.artikel, w.lose_ware])
