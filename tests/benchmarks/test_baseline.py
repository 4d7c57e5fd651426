"""The baseline app answers like the product (same figures) but the way the seed's origin
did: statements grow with the page (N+1, ledger SUMs per row), OFFSET pagination."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from benchmarks.baseline.app import create_baseline_app

from modular_server.testing import BOTH, RunningApp
from tests.benchmarks.seed import STICHTAG, Seeded, seed


@pytest.fixture
async def product(make_app) -> AsyncIterator[tuple[RunningApp, Seeded]]:
    async with make_app(disabled=["cache", "anomaly", "notifications"]) as running:
        seeded = await running.app.state.db.transaction(seed)
        yield running, seeded


@pytest.fixture
async def baseline(database_url: str, product: tuple[RunningApp, Seeded]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_baseline_app(database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://baseline") as client:
            yield client


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_batch_list_matches_the_product_with_n_plus_one_statements(
    product: tuple[RunningApp, Seeded], baseline: httpx.AsyncClient
) -> None:
    running, seeded = product
    before = await baseline.get("/api/v1/chargen", params={"limit": 5})
    after = await running.client.get("/api/v1/chargen", params={"limit": 5})
    assert before.status_code == after.status_code == 200
    assert [i["id"] for i in before.json()["items"]] == [i["id"] for i in after.json()["items"]]
    assert [i["bestand"] for i in before.json()["items"]] == [i["bestand"] for i in after.json()["items"]]
    assert [i["artikel"] for i in before.json()["items"]] == [i["artikel"] for i in after.json()["items"]]
    first = seeded.charge_ids[0]
    menge, reserviert = seeded.bestand[first]
    assert before.json()["items"][0]["bestand"] == {
        "menge": f"{menge:.3f}",
        "reserviert": f"{reserviert:.3f}",
        "verfuegbar": f"{menge - reserviert:.3f}",
    }
    # 5 batches of 2 artikel: 1 page + 2 lazy artikel loads + 2 ledger SUMs per batch
    assert before.headers["x-query-count"] == str(1 + 2 + 2 * 5)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_offset_pages_continue_where_the_previous_ended(
    product: tuple[RunningApp, Seeded], baseline: httpx.AsyncClient
) -> None:
    _, seeded = product
    first = (await baseline.get("/api/v1/chargen", params={"limit": 5})).json()
    second = (await baseline.get("/api/v1/chargen", params={"limit": 5, "offset": first["next_cursor"]})).json()
    assert [i["id"] for i in first["items"] + second["items"]] == seeded.charge_ids[:10]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_availability_matches_the_product(
    product: tuple[RunningApp, Seeded], baseline: httpx.AsyncClient
) -> None:
    running, seeded = product
    artikel_id = seeded.artikel_ids[0]
    params = {"stichtag": STICHTAG.isoformat()}
    before = (await baseline.get(f"/api/v1/artikel/{artikel_id}/verfuegbarkeit", params=params)).json()
    after = (await running.client.get(f"/api/v1/artikel/{artikel_id}/verfuegbarkeit", params=params)).json()
    assert before["summe"] == after["summe"]
    for key in ("verfuegbar", "nicht_verfuegbar"):
        assert before[key] == after[key]
    assert {p["grund"] for p in before["nicht_verfuegbar"]} == {"abgelaufen", "gesperrt", "lagerort_gesperrt"}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_batch_detail_and_filtered_article_list_match_the_product(
    product: tuple[RunningApp, Seeded], baseline: httpx.AsyncClient
) -> None:
    running, seeded = product
    charge_id = seeded.charge_ids[0]
    before = (await baseline.get(f"/api/v1/chargen/{charge_id}")).json()
    after = (await running.client.get(f"/api/v1/chargen/{charge_id}")).json()
    for key in ("bestand", "lagerorte"):
        assert before[key] == after[key]
    assert [r["id"] for r in before["reservierungen"]] == [r["id"] for r in after["reservierungen"]]
    params = {"kategorie": "obst", "limit": 10}
    before_list = (await baseline.get("/api/v1/artikel", params=params)).json()["items"]
    after_list = (await running.client.get("/api/v1/artikel", params=params)).json()["items"]
    assert [(a["id"], a["einheit"]["code"]) for a in before_list] == [
        (a["id"], a["einheit"]["code"]) for a in after_list
    ]
    assert (await baseline.get("/api/v1/chargen/999999")).status_code == 404


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_baseline_bookings_change_the_ledger_stock(
    product: tuple[RunningApp, Seeded], baseline: httpx.AsyncClient
) -> None:
    _, seeded = product
    charge_id, ort = seeded.charge_ids[0], seeded.lagerort_ids[0]
    body = {"typ": "eingang", "artikel_id": seeded.artikel_ids[0], "charge_id": charge_id, "menge": "2.5"}
    booked = await baseline.post("/api/v1/bewegungen", json=body | {"nach_lagerort_id": ort, "referenz_id": "lt-1"})
    assert booked.status_code == 201 and booked.json()["id"] > 0
    detail = (await baseline.get(f"/api/v1/chargen/{charge_id}")).json()
    menge, _ = seeded.bestand[charge_id]
    assert detail["bestand"]["menge"] == f"{menge + Decimal('2.5'):.3f}"
    too_much = body | {"typ": "ausgang", "von_lagerort_id": ort, "menge": "1000"}
    assert (await baseline.post("/api/v1/bewegungen", json=too_much)).status_code == 409
    assert (await baseline.post("/api/v1/bewegungen", json=body | {"menge": "-1"})).status_code == 422


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_baseline_reserves_fefo_over_usable_batches_only(
    product: tuple[RunningApp, Seeded], baseline: httpx.AsyncClient
) -> None:
    _, seeded = product
    artikel_id = seeded.artikel_ids[1]
    # artikel 1: batch 0 expired (MHD before today), batches 1 and 2 usable; lagerort 1 is blocked
    reserved = await baseline.post("/api/v1/reservierungen", json={"artikel_id": artikel_id, "menge": "20"})
    assert reserved.status_code == 201
    items = reserved.json()["items"]
    assert [i["charge_id"] for i in items] == [seeded.charge_ids[4], seeded.charge_ids[5]]
    assert sum(Decimal(i["menge"]) for i in items) == 20
    refused = await baseline.post("/api/v1/reservierungen", json={"artikel_id": artikel_id, "menge": "100000"})
    assert refused.status_code == 409
    detail = (await baseline.get(f"/api/v1/chargen/{seeded.charge_ids[5]}")).json()
    assert len(detail["reservierungen"]) == 2  # the seed's one and the FEFO remainder; the refused one left none
