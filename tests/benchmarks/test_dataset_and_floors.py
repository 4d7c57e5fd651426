"""The baseline's copy of the dataset lacks the secondary indexes (and only those); the raw
floor answers with the same figures as the product."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from benchmarks.floors import raw_app
from sqlalchemy import inspect, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import dataset
from modular_server.plugins.lager.models import Bestand
from modular_server.plugins.reservierungen.models import Reservierung
from modular_server.testing import BOTH, RunningApp
from tests.benchmarks.seed import STICHTAG, Seeded, seed


def copies_of(database_url: str, tmp_path: Path) -> dataset.Databases:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return dataset.Databases(
            "sqlite", database_url, f"sqlite+aiosqlite:///{tmp_path}/p.db", f"sqlite+aiosqlite:///{tmp_path}/b.db"
        )

    def named(suffix: str) -> str:
        return url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False)

    return dataset.Databases("postgresql", database_url, named("p"), named("b"))


async def indexes(database_url: str) -> dict[str, dict[str, bool]]:
    """table -> index name -> unique, for the inventory tables."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:

            def read(sync_conn) -> dict[str, dict[str, bool]]:  # type: ignore[no-untyped-def]
                inspector = inspect(sync_conn)
                return {
                    t: {i["name"]: bool(i["unique"]) for i in inspector.get_indexes(t)}
                    for t in dataset.INVENTORY_TABLES
                }

            return await conn.run_sync(read)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_the_baseline_copy_has_no_secondary_indexes(make_app, database_url: str, tmp_path: Path) -> None:
    async with make_app() as running:
        await running.app.state.db.transaction(seed)
    databases = copies_of(database_url, tmp_path)
    await asyncio.to_thread(dataset.copy_for_run, databases)
    try:
        product, baseline = await indexes(databases.product), await indexes(databases.baseline)
    finally:
        await asyncio.to_thread(dataset.remove_run_copies, databases)
    assert "ix_lagerbewegung_charge_id_id" in product["lagerbewegung"]
    assert "ix_charge_artikel_id_id" in product["charge"]
    for table in dataset.INVENTORY_TABLES:
        assert baseline[table] == {name: True for name, unique in product[table].items() if unique}
    assert baseline["bestand"]  # the unique balance keys stay: they are constraints, not speed-ups


@pytest.fixture
async def seeded(make_app) -> AsyncIterator[tuple[RunningApp, Seeded]]:
    async with make_app(disabled=["cache"]) as running:
        yield running, await running.app.state.db.transaction(seed)


@pytest.fixture
async def floor(database_url: str, seeded: tuple[RunningApp, Seeded]) -> AsyncIterator[httpx.AsyncClient]:
    app = raw_app(database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://floor") as client:
            yield client


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_the_raw_floor_answers_with_the_products_figures(
    seeded: tuple[RunningApp, Seeded], floor: httpx.AsyncClient
) -> None:
    running, facts = seeded
    raw = (await floor.get("/raw/chargen", params={"after": 0, "limit": 7})).json()
    product = (await running.client.get("/api/v1/chargen", params={"limit": 7})).json()
    assert [(i["id"], i["bestand"], i["artikel"]) for i in raw["items"]] == [
        (i["id"], i["bestand"], i["artikel"]) for i in product["items"]
    ]
    after = raw["items"][-1]["id"]
    following = (await floor.get("/raw/chargen", params={"after": after, "limit": 2})).json()
    assert [i["id"] for i in following["items"]] == facts.charge_ids[7:9]

    charge_id = facts.charge_ids[0]
    raw_detail = (await floor.get(f"/raw/chargen/{charge_id}")).json()
    detail = (await running.client.get(f"/api/v1/chargen/{charge_id}")).json()
    assert (raw_detail["bestand"], raw_detail["lagerorte"]) == (detail["bestand"], detail["lagerorte"])
    assert [r["id"] for r in raw_detail["reservierungen"]] == [r["id"] for r in detail["reservierungen"]]

    artikel_id = facts.artikel_ids[0]
    params = {"stichtag": STICHTAG.isoformat()}
    raw_view = (await floor.get(f"/raw/artikel/{artikel_id}/verfuegbarkeit", params=params)).json()
    view = (await running.client.get(f"/api/v1/artikel/{artikel_id}/verfuegbarkeit", params=params)).json()
    for key in ("summe", "verfuegbar", "nicht_verfuegbar"):
        assert raw_view[key] == view[key]

    raw_list = (await floor.get("/raw/artikel", params={"kategorie": "obst", "limit": 10})).json()["items"]
    product_list = (await running.client.get("/api/v1/artikel", params={"kategorie": "obst"})).json()["items"]
    assert [(a["id"], a["einheit"]) for a in raw_list] == [(a["id"], a["einheit"]) for a in product_list]


def _same_answer(raw: httpx.Response, product: httpx.Response) -> None:
    """The floor answers the product's bytes; only a next page's cursor differs (the product's
    is signed with its key): compared by presence, the rest of the page byte for byte."""
    assert (raw.status_code, product.status_code) == (200, 200), (raw.text, product.text)
    raw_doc, product_doc = raw.json(), product.json()
    if isinstance(product_doc.get("next_cursor"), str):
        assert isinstance(raw_doc["next_cursor"], str)
        assert raw_doc == {**product_doc, "next_cursor": raw_doc["next_cursor"]}
    else:
        assert raw.content == product.content


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_every_raw_floor_answers_the_products_json(
    seeded: tuple[RunningApp, Seeded], floor: httpx.AsyncClient
) -> None:
    running, facts = seeded
    product = running.client
    for limit in (1, 5, 100):
        _same_answer(
            await floor.get("/raw/chargen", params={"after": 0, "limit": limit}),
            await product.get("/api/v1/chargen", params={"limit": limit}),
        )
    for charge_id in facts.charge_ids:
        _same_answer(await floor.get(f"/raw/chargen/{charge_id}"), await product.get(f"/api/v1/chargen/{charge_id}"))
    for kategorie in ("obst", "gemuese"):
        for limit in (1, 100):
            params = {"kategorie": kategorie, "limit": limit}
            _same_answer(
                await floor.get("/raw/artikel", params=params), await product.get("/api/v1/artikel", params=params)
            )
    for artikel_id in facts.artikel_ids:
        path = f"/artikel/{artikel_id}/verfuegbarkeit"
        params = {"stichtag": STICHTAG.isoformat()}
        _same_answer(await floor.get("/raw" + path, params=params), await product.get("/api/v1" + path, params=params))


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_the_raw_booking_floor_books_as_the_product_does(
    seeded: tuple[RunningApp, Seeded], floor: httpx.AsyncClient
) -> None:
    running, facts = seeded
    artikel_id, charge_id = facts.artikel_ids[1], facts.charge_ids[3]
    free_ort, blocked_ort, stocked_ort = facts.lagerort_ids[2], facts.lagerort_ids[1], facts.lagerort_ids[0]
    body = {"typ": "eingang", "artikel_id": artikel_id, "charge_id": charge_id, "menge": "2.5"}

    booked = await floor.post("/raw/bewegungen", json={**body, "nach_lagerort_id": free_ort, "referenz_id": "f-1"})
    assert booked.status_code == 201, booked.text
    movement = booked.json()
    assert (movement["typ"], movement["menge"], movement["nach_lagerort_id"]) == ("eingang", "2.500", free_ort)
    assert movement["created_at"].endswith("Z")

    # the product sees what the floor wrote: the new balance row, the movement, the audit entry
    detail = (await running.client.get(f"/api/v1/chargen/{charge_id}")).json()
    assert {o["lagerort_id"]: o["menge"] for o in detail["lagerorte"]}[free_ort] == "2.500"
    ledger = (await running.client.get("/api/v1/bewegungen", params={"charge_id": charge_id})).json()["items"]
    assert movement["id"] in [m["id"] for m in ledger]
    async with running.app.state.db.session() as session:
        audited = await session.scalar(
            text("SELECT count(*) FROM audit_log WHERE principal = 'floor' AND table_name = 'lagerbewegung'")
        )
    assert audited == 1

    before = detail["bestand"]
    for refused in (
        {**body, "typ": "ausgang", "von_lagerort_id": stocked_ort, "menge": "1000"},  # more than the stock
        {**body, "nach_lagerort_id": blocked_ort},
        {**body, "artikel_id": 10**6, "nach_lagerort_id": free_ort},
    ):
        assert (await floor.post("/raw/bewegungen", json=refused)).status_code == 422
    assert (await running.client.get(f"/api/v1/chargen/{charge_id}")).json()["bestand"] == before, "refused: no change"

    # an ausgang takes the stock down like the product's
    taken = await floor.post("/raw/bewegungen", json={**body, "typ": "ausgang", "von_lagerort_id": free_ort})
    assert taken.status_code == 201, taken.text
    detail = (await running.client.get(f"/api/v1/chargen/{charge_id}")).json()
    assert free_ort not in {o["lagerort_id"] for o in detail["lagerorte"]}  # 0 left: listed no more


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_the_raw_reservation_floor_reserves_as_the_product_does(
    seeded: tuple[RunningApp, Seeded], floor: httpx.AsyncClient
) -> None:
    running, facts = seeded
    artikel_id, expired, first, _later = facts.artikel_ids[1], *facts.charge_ids[3:6]
    ort = facts.lagerort_ids[0]
    # an overdue reservation of 3 on the earliest reservable batch: released by the next reservation
    async with running.app.state.db.session() as session, session.begin():
        overdue = Reservierung(
            anfrage_id="overdue",
            artikel_id=artikel_id,
            charge_id=first,
            lagerort_id=ort,
            menge=Decimal(3),
            status="aktiv",
            gueltig_bis=datetime.now(UTC) - timedelta(hours=1),
            created_by="test",
        )
        session.add(overdue)
        await session.execute(
            update(Bestand)
            .where(Bestand.charge_id == first, Bestand.lagerort_id == ort)
            .values(reserviert=Decimal("4.5"))
        )

    body = {"artikel_id": artikel_id, "menge": "2", "referenz_typ": "floor", "referenz_id": "r-1"}
    reserved = await floor.post("/raw/reservierungen", json=body)
    assert reserved.status_code == 201, reserved.text
    (item,) = reserved.json()["items"]
    # FEFO as the product: the expired batch is skipped, the earliest best-before comes first
    assert (item["charge_id"], item["lagerort_id"], item["menge"]) == (first, ort, "2.000")
    product = await running.client.post("/api/v1/reservierungen", json={**body, "referenz_id": "p-1"})
    assert product.status_code == 201, product.text
    assert [(i["charge_id"], i["lagerort_id"]) for i in product.json()["items"]] == [(first, ort)]
    assert expired not in {i["charge_id"] for i in product.json()["items"]}

    # the product sees what the floor wrote: the overdue one released, 1.5 seeded + 2 + 2 reserved
    detail = (await running.client.get(f"/api/v1/chargen/{first}")).json()
    assert {o["lagerort_id"]: o["reserviert"] for o in detail["lagerorte"]}[ort] == "5.500"
    assert item["id"] in {r["id"] for r in detail["reservierungen"]}
    assert overdue.id not in {r["id"] for r in detail["reservierungen"]}
    async with running.app.state.db.session() as session:
        audited = await session.scalar(
            text(
                "SELECT count(*) FROM audit_log WHERE principal = 'floor' AND table_name = 'lager_chargen_reservierung'"
            )
        )
    assert audited == 1

    # refused: nothing changes
    assert (await floor.post("/raw/reservierungen", json={**body, "menge": "100000"})).status_code == 409
    assert (await floor.post("/raw/reservierungen", json={**body, "artikel_id": 10**6})).status_code == 422
    assert (await running.client.get(f"/api/v1/chargen/{first}")).json()["bestand"] == detail["bestand"]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_the_raw_batch_floor_books_all_or_nothing_as_the_product_does(
    seeded: tuple[RunningApp, Seeded], floor: httpx.AsyncClient
) -> None:
    running, facts = seeded
    artikel_id, first, second = facts.artikel_ids[1], facts.charge_ids[4], facts.charge_ids[5]
    free_ort, stocked_ort = facts.lagerort_ids[2], facts.lagerort_ids[0]
    item = {"artikel_id": artikel_id, "menge": "1.5", "referenz_typ": "floor"}
    items = [
        {**item, "typ": "eingang", "charge_id": first, "nach_lagerort_id": free_ort},
        {**item, "typ": "eingang", "charge_id": second, "nach_lagerort_id": free_ort},
        {**item, "typ": "ausgang", "charge_id": first, "von_lagerort_id": stocked_ort},
    ]
    before = {c: (await running.client.get(f"/api/v1/chargen/{c}")).json() for c in (first, second)}
    booked = await floor.post("/raw/bewegungen/batch", json={"items": items})
    assert booked.status_code == 201, booked.text
    answered = booked.json()["items"]
    assert [(m["typ"], m["charge_id"], m["menge"]) for m in answered] == [
        ("eingang", first, "1.500"),
        ("eingang", second, "1.500"),
        ("ausgang", first, "1.500"),
    ]

    # the product sees what the floor wrote: new balance rows, changed ones, the movements, one audit entry
    after = {c: (await running.client.get(f"/api/v1/chargen/{c}")).json() for c in (first, second)}
    assert {o["lagerort_id"]: o["menge"] for o in after[second]["lagerorte"]}[free_ort] == "1.500"
    expected = {o["lagerort_id"]: Decimal(o["menge"]) for o in before[first]["lagerorte"]}
    expected[stocked_ort] -= Decimal("1.5")
    expected[free_ort] = Decimal("1.5")
    assert {o["lagerort_id"]: Decimal(o["menge"]) for o in after[first]["lagerorte"]} == expected
    ledger = (await running.client.get("/api/v1/bewegungen", params={"artikel_id": artikel_id})).json()["items"]
    assert {m["id"] for m in answered} <= {m["id"] for m in ledger}
    async with running.app.state.db.session() as session:
        audited = await session.scalar(
            text("SELECT count(*) FROM audit_log WHERE principal = 'floor' AND table_name = 'lagerbewegung'")
        )
    assert audited == 1

    # all or nothing: one item short of stock refuses the whole batch
    short = [items[0], {**items[2], "menge": "100000"}]
    assert (await floor.post("/raw/bewegungen/batch", json={"items": short})).status_code == 422
    unknown = [items[0], {**items[1], "nach_lagerort_id": 10**6}]
    assert (await floor.post("/raw/bewegungen/batch", json={"items": unknown})).status_code == 422
    for charge_id in (first, second):
        assert (await running.client.get(f"/api/v1/chargen/{charge_id}")).json()["bestand"] == after[charge_id][
            "bestand"
        ]
