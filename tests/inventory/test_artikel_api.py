"""Einheiten and Artikel: CRUD, filters, bulk lookup, keyset pages and refusals that change nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from modular_server.testing import BOTH

PLUGINS = ["artikel", "chargen"]
PROBLEM = "application/problem+json"


async def _einheit(client: httpx.AsyncClient, code: str = "stk", kategorie: str = "stueck", faktor: str = "1") -> int:
    r = await client.post(
        "/api/v1/einheiten", json={"code": code, "name": code, "kategorie": kategorie, "faktor": faktor}
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _artikel(client: httpx.AsyncClient, einheit_id: int, nummer: str, **fields: Any) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/artikel", json={"nummer": nummer, "name": nummer, "einheit_id": einheit_id, **fields}
    )
    assert r.status_code == 201, r.text
    return r.json()


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    return response.json()


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_einheit_and_artikel_crud(make_app):
    async with make_app(only=PLUGINS) as running:
        client = running.client
        kg = await _einheit(client, "kg", "gewicht", "1")
        created = await _artikel(
            client,
            kg,
            "MEHL-1",
            name="Mehl Type 405",
            kategorie="backwaren",
            mindestbestand="12.5",
            chargenpflicht=True,
        )
        assert created["einheit"] == {
            "id": kg,
            "code": "kg",
            "name": "kg",
            "kategorie": "gewicht",
            "faktor": "1.000000",
        }
        assert created["mindestbestand"] == "12.500" and created["aktiv"] is True

        r = await client.patch(f"/api/v1/artikel/{created['id']}", json={"name": "Mehl 405", "beschreibung": "fein"})
        assert r.status_code == 200, r.text
        assert (r.json()["name"], r.json()["beschreibung"], r.json()["nummer"]) == ("Mehl 405", "fein", "MEHL-1")
        r = await client.get(f"/api/v1/artikel/{created['id']}")
        assert r.json()["name"] == "Mehl 405"

        r = await client.patch(f"/api/v1/einheiten/{kg}", json={"name": "Kilogramm"})
        assert r.json()["name"] == "Kilogramm"
        assert (await client.get(f"/api/v1/einheiten/{kg}")).json()["name"] == "Kilogramm"

        assert (await client.delete(f"/api/v1/artikel/{created['id']}")).status_code == 204
        _problem(await client.get(f"/api/v1/artikel/{created['id']}"), 404)
        assert (await client.delete(f"/api/v1/einheiten/{kg}")).status_code == 204
        assert (await client.get("/api/v1/einheiten")).json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_filters_bulk_lookup_and_keyset_pages(make_app):
    async with make_app(only=PLUGINS) as running:
        client = running.client
        stk = await _einheit(client)
        a = await _artikel(client, stk, "S-1", name="Schraube M4", kategorie="eisen")
        b = await _artikel(client, stk, "S-2", name="Schraube M5", kategorie="eisen", aktiv=False)
        c = await _artikel(client, stk, "M-1", name="Mutter M4", kategorie="eisen")
        d = await _artikel(client, stk, "P-1", name="50% Rabatt*Set", kategorie="aktion")
        e = await _artikel(client, stk, "P-2", name="50 Stück", kategorie="aktion")

        async def ids(query: str) -> list[int]:
            r = await client.get(f"/api/v1/artikel?{query}")
            assert r.status_code == 200, r.text
            return [item["id"] for item in r.json()["items"]]

        assert await ids("kategorie=eisen") == [a["id"], b["id"], c["id"]]
        assert await ids("name=Schraube") == [a["id"], b["id"]]
        assert await ids("name=schraube") == []  # the prefix is case-sensitive on both backends
        assert await ids("name=50%25") == [d["id"]]  # LIKE/GLOB wildcards are taken literally
        assert await ids("name=50%25%20Rabatt*") == [d["id"]]
        assert await ids("nummer=M-1") == [c["id"]]
        assert await ids("aktiv=false") == [b["id"]]
        assert await ids("kategorie=eisen&aktiv=true&name=Schraube") == [a["id"]]
        assert await ids(f"ids={e['id']},{a['id']},999999,{c['id']}") == [a["id"], c["id"], e["id"]]
        assert await ids(f"ids={a['id']},{b['id']}&aktiv=true") == [a["id"]]

        seen, cursor, pages = [], None, 0
        while True:
            r = await client.get("/api/v1/artikel", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
            body = r.json()
            seen += [item["id"] for item in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert (seen, pages) == ([a["id"], b["id"], c["id"], d["id"], e["id"]], 3)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_bad_input_gets_problem_and_changes_nothing(make_app):
    async with make_app(only=PLUGINS) as running:
        client = running.client
        stk = await _einheit(client)
        first = await _artikel(client, stk, "A-1")
        second = await _artikel(client, stk, "A-2")
        before = (await client.get("/api/v1/artikel")).json()
        einheiten_before = (await client.get("/api/v1/einheiten")).json()

        dup = _problem(
            await client.post("/api/v1/artikel", json={"nummer": "A-1", "name": "x", "einheit_id": stk}), 409
        )
        assert dup["field"] == "nummer" and dup["errors"][0]["field"] == "body.nummer"
        dup = _problem(await client.patch(f"/api/v1/artikel/{second['id']}", json={"nummer": "A-1"}), 409)
        assert dup["field"] == "nummer"
        dup = _problem(
            await client.post(
                "/api/v1/einheiten", json={"code": "stk", "name": "x", "kategorie": "stueck", "faktor": 1}
            ),
            409,
        )
        assert dup["field"] == "code"
        unknown_unit = await client.post("/api/v1/artikel", json={"nummer": "A-3", "name": "x", "einheit_id": 9999})
        assert _problem(unknown_unit, 422)["errors"][0]["field"] == "body.einheit_id"

        refusals = [
            (client.patch(f"/api/v1/artikel/{first['id']}", json={"einheit_id": stk}), 422),  # immutable
            (client.patch(f"/api/v1/artikel/{first['id']}", json={"name": None}), 422),
            (client.patch(f"/api/v1/artikel/{first['id']}", json={"mindestbestand": "-1"}), 422),
            (client.patch(f"/api/v1/artikel/{first['id']}", json={"mindestbestand": "1.0001"}), 422),
            (client.post("/api/v1/artikel", json={"nummer": "", "name": "x", "einheit_id": stk}), 422),
            (
                client.post("/api/v1/einheiten", json={"code": "l", "name": "l", "kategorie": "fluessig", "faktor": 1}),
                422,
            ),
            (
                client.post("/api/v1/einheiten", json={"code": "l", "name": "l", "kategorie": "volumen", "faktor": 0}),
                422,
            ),
            (client.patch(f"/api/v1/einheiten/{stk}", json={"faktor": 2}), 422),
            (client.get("/api/v1/artikel?limit=501"), 422),
            (client.get("/api/v1/artikel?limit=0"), 422),
            (client.get("/api/v1/artikel?cursor=not-a-cursor"), 400),
            (client.get("/api/v1/einheiten?cursor=bm9wZQ"), 400),
            (client.get("/api/v1/artikel?ids=1,a"), 422),
            (client.get("/api/v1/artikel?ids=" + ",".join(str(i) for i in range(1, 502))), 422),
            (client.get("/api/v1/artikel?aktiv=vielleicht"), 422),
            (client.get("/api/v1/artikel/999999"), 404),
            (client.get("/api/v1/artikel/abc"), 422),
            (client.patch("/api/v1/artikel/999999", json={"name": "x"}), 404),
            (client.delete("/api/v1/artikel/999999"), 404),
            (client.delete("/api/v1/einheiten/999999"), 404),
        ]
        for call, status in refusals:
            _problem(await call, status)

        # a cursor of another list is refused too
        cursor = (await client.get("/api/v1/einheiten?limit=1")).json()["next_cursor"]
        assert cursor is None
        cursor = (await client.get("/api/v1/artikel?limit=1")).json()["next_cursor"]
        _problem(await client.get(f"/api/v1/einheiten?cursor={cursor}"), 400)

        assert (await client.get("/api/v1/artikel")).json() == before
        assert (await client.get("/api/v1/einheiten")).json() == einheiten_before
        # read scope cannot write
        assert (await running.as_scope("read").post("/api/v1/einheiten", json={})).status_code == 403


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_referenced_artikel_and_einheit_cannot_be_deleted(make_app):
    async with make_app(only=PLUGINS) as running:
        client = running.client
        stk = await _einheit(client)
        artikel = await _artikel(client, stk, "A-1")
        r = await client.post("/api/v1/chargen", json={"artikel_id": artikel["id"], "nummer": "C-1"})
        assert r.status_code == 201, r.text

        problem = _problem(await client.delete(f"/api/v1/artikel/{artikel['id']}"), 409)
        assert problem["type"].endswith("still-referenced") and "aktiv" in problem["detail"]
        _problem(await client.delete(f"/api/v1/einheiten/{stk}"), 409)
        assert (await client.get(f"/api/v1/artikel/{artikel['id']}")).json() == artikel
        assert (await client.get(f"/api/v1/einheiten/{stk}")).status_code == 200

        # the documented way out: deactivate
        r = await client.patch(f"/api/v1/artikel/{artikel['id']}", json={"aktiv": False})
        assert r.json()["aktiv"] is False
