"""Chargen lists, details, tracing and availability cost a fixed number of SQL statements,
whatever the page size, page depth, number of lagerorte, reservations or genealogy links."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from modular_server.testing import BOTH, RunningApp
from tests.inventory.support import read_statements
from tests.support.rows import InsertRows

INVENTORY = ["artikel", "chargen", "lager", "reservierungen"]
STICHTAG = date(2030, 1, 1)
CHARGEN = 120


async def _measured(running: RunningApp, url: str) -> tuple[int, dict[str, Any]]:
    with running.count_statements() as counter:
        response = await running.client.get(url)
    assert response.status_code == 200, response.text
    return counter.count, response.json()


async def _dataset(running: RunningApp, insert_rows: InsertRows) -> dict[str, Any]:
    """One artikel with CHARGEN batches, each stocked at three lagerorte with two open
    reservations, a genealogy chain through the first ten, and a second artikel with one batch."""
    (stk,) = await insert_rows(
        running, "einheit", [{"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": 1}]
    )
    artikel = {"einheit_id": stk, "chargenpflicht": True, "mindestbestand": Decimal(0), "aktiv": True}
    viel, wenig = await insert_rows(
        running,
        "artikel",
        [{**artikel, "nummer": "VIEL", "name": "viel"}, {**artikel, "nummer": "WENIG", "name": "wenig"}],
    )
    batch = {"status": "frei", "produktionsdatum": None, "lieferant": None, "lieferanten_charge": None}
    chargen = await insert_rows(
        running,
        "charge",
        [
            {**batch, "artikel_id": viel, "nummer": f"C-{i:04d}", "mhd": STICHTAG + timedelta(days=i % 60)}
            for i in range(CHARGEN)
        ],
    )
    (einzel,) = await insert_rows(
        running, "charge", [{**batch, "artikel_id": wenig, "nummer": "E-1", "mhd": STICHTAG + timedelta(days=5)}]
    )
    (lager,) = await insert_rows(running, "lager", [{"code": "L", "name": "Lager"}])
    orte = await insert_rows(
        running,
        "lagerort",
        [{"lager_id": lager, "code": f"O{i}", "name": f"O{i}", "gesperrt": False} for i in range(3)],
    )
    stock = {"artikel_id": viel, "menge": Decimal(10), "reserviert": Decimal(2)}
    await insert_rows(running, "bestand", [{**stock, "charge_id": c, "lagerort_id": o} for c in chargen for o in orte])
    await insert_rows(
        running,
        "bestand",
        [
            {
                "artikel_id": wenig,
                "charge_id": einzel,
                "lagerort_id": orte[0],
                "menge": Decimal(1),
                "reserviert": Decimal(0),
            }
        ],
    )
    reservation = {"anfrage_id": "a", "artikel_id": viel, "menge": Decimal(1), "status": "aktiv", "created_by": "t"}
    await insert_rows(
        running,
        "lager_chargen_reservierung",
        [{**reservation, "charge_id": c, "lagerort_id": o} for c in chargen for o in orte[:2]],
    )
    await insert_rows(
        running,
        "charge_herkunft",
        [
            {"parent_id": p, "child_id": c, "art": "produktion", "menge": None}
            for p, c in itertools.pairwise(chargen[:10])
        ],
    )
    return {"viel": viel, "wenig": wenig, "chargen": chargen, "einzel": einzel, "artikel": artikel, "batch": batch}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_chargen_reads_cost_a_fixed_number_of_statements(make_app, backend: str, insert_rows: InsertRows):
    async with make_app(only=INVENTORY) as running:
        data = await _dataset(running, insert_rows)
        chargen, einzel = data["chargen"], data["einzel"]
        await running.client.get("/api/v1/chargen?limit=1")  # warm-up: the API-key check is cached afterwards

        # list: one statement for the page (chargen + artikel) and its stock totals
        page_and_stock = read_statements(backend, 1)
        count, page = await _measured(running, "/api/v1/chargen?limit=1")
        assert (count, len(page["items"])) == (page_and_stock, 1)
        count, page = await _measured(running, f"/api/v1/chargen?limit=100&artikel_id={data['viel']}")
        assert (count, len(page["items"])) == (page_and_stock, 100)
        assert page["items"][0]["bestand"] == {"menge": "30.000", "reserviert": "6.000", "verfuegbar": "24.000"}
        # a cursor is bound to its filters: the deep page continues the unfiltered list
        _, page = await _measured(running, "/api/v1/chargen?limit=100")
        count, deep = await _measured(running, f"/api/v1/chargen?limit=100&cursor={page['next_cursor']}")
        assert count == page_and_stock
        assert [c["id"] for c in deep["items"]] == [*chargen[100:], einzel]

        ablaufend = f"/api/v1/chargen/ablaufend?stichtag={STICHTAG}&tage=59&mit_bestand=true"
        count, page = await _measured(running, ablaufend + "&limit=1")
        assert (count, len(page["items"])) == (page_and_stock, 1)
        count, page = await _measured(running, ablaufend + "&limit=100")
        assert (count, len(page["items"])) == (page_and_stock, 100)
        count, deep = await _measured(running, ablaufend + f"&limit=100&cursor={page['next_cursor']}")
        assert (count, len(deep["items"])) == (page_and_stock, CHARGEN + 1 - 100)

        # detail: the batch, stock per lagerort, open reservations
        # (one statement for the batch with its stock per lagerort, one for the reservations)
        detail_statements = read_statements(backend, 2)
        count, detail = await _measured(running, f"/api/v1/chargen/{chargen[0]}")
        assert (count, len(detail["lagerorte"]), len(detail["reservierungen"])) == (detail_statements, 3, 2)
        assert detail["bestand"] == {"menge": "30.000", "reserviert": "6.000", "verfuegbar": "24.000"}
        count, detail = await _measured(running, f"/api/v1/chargen/{einzel}")
        assert (count, len(detail["lagerorte"]), detail["reservierungen"]) == (detail_statements, 1, [])
        # a batch and an artikel without any stock: the same statements, empty lists, zero totals
        (leer,) = await insert_rows(running, "artikel", [{**data["artikel"], "nummer": "LEER", "name": "leer"}])
        (ohne,) = await insert_rows(running, "charge", [{**data["batch"], "artikel_id": leer, "nummer": "O-1"}])
        zero = {"menge": "0.000", "reserviert": "0.000", "verfuegbar": "0.000"}
        count, detail = await _measured(running, f"/api/v1/chargen/{ohne}")
        assert (count, detail["lagerorte"], detail["reservierungen"]) == (detail_statements, [], [])
        assert (detail["bestand"], detail["artikel"]["nummer"]) == (zero, "LEER")
        count, leer_verfuegbar = await _measured(running, f"/api/v1/artikel/{leer}/verfuegbarkeit?stichtag={STICHTAG}")
        assert count == read_statements(backend, 1)
        assert (leer_verfuegbar["summe"], leer_verfuegbar["verfuegbar"], leer_verfuegbar["nicht_verfuegbar"]) == (
            zero,
            [],
            [],
        )
        assert leer_verfuegbar["artikel"]["nummer"] == "LEER"
        for unknown in (f"/api/v1/chargen/{ohne + 1000}", f"/api/v1/artikel/{leer + 1000}/verfuegbarkeit"):
            response = await running.client.get(unknown)
            assert (response.status_code, response.headers["content-type"]) == (404, "application/problem+json")

        # tracing: the batch and one recursive statement, however long the chain
        count, trace = await _measured(running, f"/api/v1/chargen/{chargen[5]}/verfolgung")
        assert (count, len(trace["vorfahren"]), len(trace["nachfahren"])) == (read_statements(backend, 2), 5, 4)
        count, trace = await _measured(running, f"/api/v1/chargen/{einzel}/verfolgung")
        assert (count, trace["vorfahren"], trace["nachfahren"]) == (read_statements(backend, 2), [], [])

        # availability: one statement for the artikel and all its positions
        count, many = await _measured(running, f"/api/v1/artikel/{data['viel']}/verfuegbarkeit?stichtag={STICHTAG}")
        assert (count, len(many["verfuegbar"])) == (read_statements(backend, 1), 3 * CHARGEN)
        assert many["artikel"]["nummer"] == "VIEL"
        count, few = await _measured(running, f"/api/v1/artikel/{data['wenig']}/verfuegbarkeit?stichtag={STICHTAG}")
        assert (count, len(few["verfuegbar"])) == (read_statements(backend, 1), 1)


async def test_without_lager_a_chargen_page_is_one_select(make_app, backend: str):
    async with make_app(only=["artikel", "chargen"]) as running:
        client = running.client
        r = await client.post(
            "/api/v1/einheiten", json={"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": 1}
        )
        r = await client.post("/api/v1/artikel", json={"nummer": "A", "name": "A", "einheit_id": r.json()["id"]})
        artikel = r.json()["id"]
        for i in range(3):
            await client.post("/api/v1/chargen", json={"artikel_id": artikel, "nummer": f"C{i}"})
        await client.get("/api/v1/chargen?limit=1")
        count, page = await _measured(running, "/api/v1/chargen?limit=100")
        assert (count, len(page["items"])) == (read_statements(backend, 1), 3)
        count, detail = await _measured(running, f"/api/v1/chargen/{page['items'][0]['id']}")
        assert (count, detail["lagerorte"]) == (read_statements(backend, 1), None)
