"""Stock invariants under concurrent requests (asyncio.gather over one app's ASGI client): no
oversold batch, no negative stock, no double booking, and the ledger agrees with the balances."""

import asyncio
from decimal import Decimal

import pytest

from modular_server.testing import BOTH
from tests.inventory.world import INVENTORY, build_world, drift


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_200_concurrent_reservations_of_100_units_give_exactly_100(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("100")
        body = {"charge_id": w.chargen[0], "menge": "1"}
        responses = await asyncio.gather(
            *[running.client.post("/api/v1/reservierungen", json=body) for _ in range(200)]
        )
        statuses = [r.status_code for r in responses]
        assert statuses.count(201) == 100 and statuses.count(409) == 100, sorted(set(statuses))
        refused = [r for r in responses if r.status_code == 409]
        assert all(r.headers["content-type"] == "application/problem+json" for r in refused)
        assert {r.json()["verfuegbar"] for r in refused} == {"0.000"}
        (row,) = await w.bestand()
        assert Decimal(row["reserviert"]) == Decimal(100) and Decimal(row["menge"]) == Decimal(100)
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_concurrent_fefo_reservations_across_batches_never_overbook(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        for charge in w.chargen:  # 3 x 20 units at two locations each
            await w.eingang("10", charge, w.orte[0])
            await w.eingang("10", charge, w.orte[1])
        body = {"artikel_id": w.artikel, "menge": "2"}
        responses = await asyncio.gather(*[running.client.post("/api/v1/reservierungen", json=body) for _ in range(45)])
        statuses = [r.status_code for r in responses]
        assert statuses.count(201) == 30 and statuses.count(409) == 15, sorted(set(statuses))
        assert all(Decimal(r["reserviert"]) == Decimal(r["menge"]) for r in await w.bestand())
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_concurrent_outgoing_movements_never_oversell(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("50")
        responses = await asyncio.gather(*[w.ausgang("1") for _ in range(80)])
        statuses = [r.status_code for r in responses]
        assert statuses.count(201) == 50 and statuses.count(409) == 30, sorted(set(statuses))
        assert await w.bestand() == []  # nothing left, nothing negative
        (empty,) = await w.bestand(leer="true")
        assert Decimal(empty["menge"]) == 0
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_reservations_fulfilments_and_movements_interleaved_keep_the_invariants(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("60")
        reservations = [
            (await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "5"}))["items"][0]["id"]
            for _ in range(6)
        ]
        work = [running.client.post(f"/api/v1/reservierungen/{rid}/erfuellen") for rid in reservations[:3]]
        work += [running.client.post(f"/api/v1/reservierungen/{rid}/stornieren") for rid in reservations[3:]]
        work += [w.ausgang("2") for _ in range(20)]
        work += [
            running.client.post("/api/v1/reservierungen", json={"charge_id": w.chargen[0], "menge": "3"})
            for _ in range(10)
        ]
        responses = await asyncio.gather(*work)
        assert all(r.status_code in (200, 201, 409) for r in responses), [r.text for r in responses]
        assert [r.status_code for r in responses[:6]] == [200] * 6  # own reservations are never lost
        (row,) = await w.bestand(leer="true")
        assert 0 <= Decimal(row["reserviert"]) <= Decimal(row["menge"])
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_concurrent_batches_over_the_same_balances_in_opposite_order_all_book(make_app):
    """Balance rows are locked in id order whatever the item order: no deadlock reaches a client."""
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        items = [
            {"typ": "eingang", "artikel_id": w.artikel, "charge_id": c, "nach_lagerort_id": o, "menge": "1"}
            for c in w.chargen
            for o in w.orte
        ]
        batches = [items if n % 2 else list(reversed(items)) for n in range(12)]
        responses = await asyncio.gather(
            *[running.client.post("/api/v1/bewegungen/batch", json={"items": b}) for b in batches]
        )
        assert [r.status_code for r in responses] == [201] * 12
        assert {Decimal(r["menge"]) for r in await w.bestand()} == {Decimal(12)}
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_concurrent_stornos_of_one_movement_reverse_it_once(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("5")
        movement = await w.eingang("20")
        responses = await asyncio.gather(
            *[running.client.post(f"/api/v1/bewegungen/{movement['id']}/storno") for _ in range(10)]
        )
        statuses = [r.status_code for r in responses]
        assert statuses.count(201) == 1 and statuses.count(409) == 9, statuses
        assert [Decimal(r["menge"]) for r in await w.bestand()] == [Decimal(5)]
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_concurrent_duplicates_with_one_idempotency_key_book_once(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("10")
        movement = {
            "typ": "eingang",
            "artikel_id": w.artikel,
            "charge_id": w.chargen[0],
            "nach_lagerort_id": w.orte[0],
            "menge": "7",
        }
        booked = await asyncio.gather(
            *[
                running.client.post("/api/v1/bewegungen", json=movement, headers={"Idempotency-Key": "wareneingang-1"})
                for _ in range(10)
            ]
        )
        assert {r.status_code for r in booked} == {201}
        assert len({r.json()["id"] for r in booked}) == 1
        reservation = {"charge_id": w.chargen[0], "menge": "4"}
        reserved = await asyncio.gather(
            *[
                running.client.post(
                    "/api/v1/reservierungen", json=reservation, headers={"Idempotency-Key": "auftrag-1"}
                )
                for _ in range(10)
            ]
        )
        assert {r.status_code for r in reserved} == {201}
        assert len({r.json()["anfrage_id"] for r in reserved}) == 1
        (row,) = await w.bestand()
        assert (Decimal(row["menge"]), Decimal(row["reserviert"])) == (Decimal(17), Decimal(4))
        assert len((await running.client.get("/api/v1/reservierungen")).json()["items"]) == 1
        assert await drift(running) == []
