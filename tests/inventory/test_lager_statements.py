"""Lager lists and details cost a fixed number of SQL statements whatever the page size or depth,
and a batch booking a constant number of round trips whatever its size."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from modular_server.testing import BOTH, RunningApp
from tests.inventory.support import read_statements
from tests.inventory.world import INVENTORY, World, build_world
from tests.support.rows import InsertRows

CHARGEN = 12  # x 9 lagerorte = 108 balance rows: more than one page of 100


async def _stocked(running: RunningApp, insert_rows: InsertRows) -> tuple[World, list[dict[str, Any]]]:
    """108 balance rows and 108 movements, booked through the API in one batch."""
    w = await build_world(running.client, chargen=0, orte=9)
    w.chargen = await insert_rows(
        running,
        "charge",
        [{"artikel_id": w.artikel, "nummer": f"S-{n}", "status": "frei"} for n in range(CHARGEN)],
    )
    items = [
        {"typ": "eingang", "artikel_id": w.artikel, "charge_id": c, "nach_lagerort_id": o, "menge": "10"}
        for c in w.chargen
        for o in w.orte
    ]
    await w.post("/api/v1/bewegungen/batch", {"items": items})
    return w, items


async def _count(running: RunningApp, url: str, **params: Any) -> tuple[int, dict[str, Any]]:
    with running.count_statements() as sql:
        response = await running.client.get(url, params=params)
    assert response.status_code == 200, response.text
    return sql.count, response.json()


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_lists_and_details_run_one_select_at_any_page_size_and_depth(make_app, backend, insert_rows):
    async with make_app(only=INVENTORY) as running:
        w, _ = await _stocked(running, insert_rows)
        await insert_rows(
            running, "lager", [{"code": f"X{n}", "name": f"Lager {n}", "aktiv": True} for n in range(101)]
        )
        await insert_rows(
            running,
            "lagerort",
            [{"lager_id": w.lager, "code": f"F{n}", "name": "Fach", "gesperrt": False} for n in range(101)],
        )
        one_select = read_statements(backend, 1)
        lists = {
            "/api/v1/lager": {},
            "/api/v1/lagerorte": {},
            "/api/v1/bestand": {},
            "/api/v1/bewegungen": {},
            "/api/v1/bestand?lager_id": {"lager_id": w.lager, "artikel_id": w.artikel},
            "/api/v1/bewegungen?filtered": {"artikel_id": w.artikel, "typ": "eingang", "referenz_typ": None},
        }
        await running.client.get("/api/v1/lager")  # warm-up: the API-key check is cached afterwards
        for name, filters in lists.items():
            url = name.split("?")[0]
            params = {k: v for k, v in filters.items() if v is not None}
            for limit in (1, 100):
                count, first = await _count(running, url, limit=limit, **params)
                assert count == one_select, (name, limit, count)
                assert len(first["items"]) == limit and first["next_cursor"], name
                count, deep = await _count(running, url, limit=limit, cursor=first["next_cursor"], **params)
                assert count == one_select, (name, limit, "deep", count)
                assert deep["items"] and deep["items"][0]["id"] != first["items"][-1]["id"]
        bewegung = (await running.client.get("/api/v1/bewegungen", params={"limit": 1})).json()["items"][0]
        for url in (
            f"/api/v1/lager/{w.lager}",
            f"/api/v1/lagerorte/{w.orte[0]}",
            f"/api/v1/bewegungen/{bewegung['id']}",
        ):
            count, _ = await _count(running, url)
            assert count == one_select, (url, count)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_pages_follow_each_other_without_gaps_or_repeats(make_app, insert_rows):
    async with make_app(only=INVENTORY) as running:
        _, items = await _stocked(running, insert_rows)
        for url in ("/api/v1/bestand", "/api/v1/bewegungen"):
            seen: list[int] = []
            cursor = None
            while True:
                page = (
                    await running.client.get(url, params={"limit": 25, **({"cursor": cursor} if cursor else {})})
                ).json()
                seen.extend(row["id"] for row in page["items"])
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert len(seen) == len(set(seen)) == len(items), url
        wrong_list = (await running.client.get("/api/v1/bestand", params={"limit": 1})).json()["next_cursor"]
        refused = await running.client.get("/api/v1/bewegungen", params={"cursor": wrong_list})
        assert refused.status_code == 400 and refused.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_batch_booking_costs_the_same_round_trips_for_1_and_100_items(make_app, backend, insert_rows):
    async with make_app(only=INVENTORY) as running:
        w, items = await _stocked(running, insert_rows)
        await running.client.get("/api/v1/lager")  # warm-up

        def eingang(n: int) -> dict[str, Any]:  # in grams: the unit lookup is part of the plan
            return {**items[n % len(items)], "menge": "500", "einheit": "g"}

        def ausgang(n: int) -> dict[str, Any]:
            item = items[n % len(items)]
            return {
                **item,
                "typ": "ausgang",
                "von_lagerort_id": item["nach_lagerort_id"],
                "nach_lagerort_id": None,
                "menge": "1",
            }

        def umbuchung(n: int) -> dict[str, Any]:
            return {**ausgang(n), "typ": "umbuchung", "nach_lagerort_id": w.orte[(n + 1) % len(w.orte)]}

        for kind, make in (("eingang", eingang), ("ausgang", ausgang), ("umbuchung", umbuchung)):
            counts = []
            for size in (1, 100):
                batch = [make(n) for n in range(size)]
                with running.count_statements() as sql:
                    response = await running.client.post("/api/v1/bewegungen/batch", json={"items": batch})
                assert response.status_code == 201, response.text
                assert len(response.json()["items"]) == size
                counts.append(sql.count)
            assert counts[0] == counts[1], (kind, counts)
            # artikel, charge, lagerort (+ einheit when a unit is given); balance lock and update
            # (every balance exists); ledger insert, audit insert (+ the mindestbestand check
            # after movements that lower the stock); SQLite's explicit BEGIN
            expected = 7 + (kind == "eingang") + (kind == "ausgang") + (backend == "sqlite")
            assert counts[0] == expected, (kind, counts, expected)
        total = sum(
            Decimal(r["menge"]) for r in (await running.client.get("/api/v1/bestand?limit=500")).json()["items"]
        )
        # 1080 booked, 101 x 0.5 in grams, 101 x 1 out; umbuchungen move stock around
        assert total == Decimal(1080) + Decimal("50.5") - Decimal(101)

        # into balances that do not exist yet: their INSERT and a lock of the new rows, whatever
        # how many are new
        fresh = await insert_rows(
            running, "charge", [{"artikel_id": w.artikel, "nummer": f"N-{n}", "status": "frei"} for n in range(2)]
        )
        counts = []
        for charge, orte in ((fresh[0], w.orte[:1]), (fresh[1], w.orte)):
            batch = [
                {"typ": "eingang", "artikel_id": w.artikel, "charge_id": charge, "nach_lagerort_id": o, "menge": "2"}
                for o in orte
            ]
            with running.count_statements() as sql:
                response = await running.client.post("/api/v1/bewegungen/batch", json={"items": batch})
            assert response.status_code == 201, response.text
            counts.append(sql.count)
        assert counts == [7 + 2 + (backend == "sqlite")] * 2
        created = (await running.client.get("/api/v1/bestand", params={"charge_id": fresh[1], "limit": 100})).json()
        assert sorted(r["lagerort_id"] for r in created["items"]) == sorted(w.orte)
        assert {r["menge"] for r in created["items"]} == {"2.000"}
