"""Reservations: FEFO allocation, fulfilment, cancellation, expiry, idempotency, concurrency."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from modular_server.testing import BOTH
from tests.inventory.world import build_world


async def _verify(running) -> list:
    from modular_server.plugins.lager.verify import find_drift

    async with running.app.state.db.session() as session:
        return await find_drift(session, with_reservations=True)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_fefo_allocation_skips_blocked_and_expired_batches(make_app):
    async with make_app() as running:
        w = await build_world(running.client, chargen=4)
        # chargen[0] MHD +300 d, [1] +200 d, [2] +100 d, [3] expired 0 d -> mhd today is still good
        for charge in w.chargen:
            await w.eingang("10", charge, w.orte[0])
        await running.client.post(f"/api/v1/chargen/{w.chargen[2]}/sperren", json={})
        created = await w.post(
            "/api/v1/reservierungen",
            {"artikel_id": w.artikel, "menge": "25", "referenz_typ": "auftrag", "referenz_id": "AU-1"},
        )
        allocation = [(r["charge_id"], Decimal(r["menge"])) for r in created["items"]]
        # earliest MHD first: chargen[3] (today), then [1] (+200; [2] is blocked), then [0]
        assert allocation == [(w.chargen[3], Decimal(10)), (w.chargen[1], Decimal(10)), (w.chargen[0], Decimal(5))]
        assert Decimal(created["reserviert"]) == Decimal(25)
        short = await running.client.post("/api/v1/reservierungen", json={"artikel_id": w.artikel, "menge": "10"})
        assert short.status_code == 409 and short.json()["verfuegbar"] == "5.000"
        partial = await w.post(
            "/api/v1/reservierungen", {"artikel_id": w.artikel, "menge": "10", "allow_partial": True}
        )
        assert Decimal(partial["reserviert"]) == Decimal(5)
        listed = (await running.client.get("/api/v1/reservierungen", params={"referenz_id": "AU-1"})).json()["items"]
        assert len(listed) == 3
        assert await _verify(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_fulfil_cancel_and_status_transitions(make_app):
    async with make_app() as running:
        w = await build_world(running.client)
        await w.eingang("50")
        (reservation,) = (await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "20"}))["items"]
        rid = reservation["id"]
        part = await running.client.post(f"/api/v1/reservierungen/{rid}/erfuellen", json={"menge": "5"})
        assert part.status_code == 200, part.text
        assert part.json()["reservierung"]["status"] == "aktiv" and part.json()["reservierung"]["erfuellt"] == "5.000"
        over = await running.client.post(f"/api/v1/reservierungen/{rid}/erfuellen", json={"menge": "16"})
        assert over.status_code == 422
        rest = await running.client.post(f"/api/v1/reservierungen/{rid}/erfuellen", json={})
        assert rest.json()["reservierung"]["status"] == "erledigt"
        assert (await running.client.post(f"/api/v1/reservierungen/{rid}/stornieren")).status_code == 409
        (second,) = (await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "10"}))["items"]
        cancelled = await running.client.post(f"/api/v1/reservierungen/{second['id']}/stornieren")
        assert cancelled.json()["status"] == "storniert"
        (row,) = await w.bestand()
        assert Decimal(row["menge"]) == Decimal(30) and Decimal(row["reserviert"]) == Decimal(0)
        movements = (await running.client.get("/api/v1/bewegungen", params={"referenz_typ": "reservierung"})).json()[
            "items"
        ]
        assert sorted(Decimal(m["menge"]) for m in movements) == [Decimal(5), Decimal(15)]
        assert (await running.client.post("/api/v1/reservierungen/999999/erfuellen", json={})).status_code == 404
        assert await _verify(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_bad_reservations_are_refused_and_change_nothing(make_app):
    async with make_app() as running:
        w = await build_world(running.client)
        await w.eingang("10")
        cases = [
            ({"charge_id": w.chargen[0], "artikel_id": w.artikel, "menge": "1"}, 422),
            ({"menge": "1"}, 422),
            ({"charge_id": w.chargen[0], "menge": "0"}, 422),
            ({"charge_id": w.chargen[0], "menge": "-3"}, 422),
            ({"charge_id": 999999, "menge": "1"}, 422),
            ({"charge_id": w.chargen[0], "menge": "1", "einheit": "l"}, 422),
            ({"charge_id": w.chargen[0], "menge": "11"}, 409),
        ]
        for body, status in cases:
            response = await running.client.post("/api/v1/reservierungen", json=body)
            assert response.status_code == status, (body, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        await running.client.post(f"/api/v1/chargen/{w.chargen[0]}/rueckruf", json={})
        recalled = await running.client.post("/api/v1/reservierungen", json={"charge_id": w.chargen[0], "menge": "1"})
        assert recalled.status_code == 409 and recalled.json()["charge_status"] == "zurueckgerufen"
        (row,) = await w.bestand()
        assert Decimal(row["reserviert"]) == 0
        assert (await running.client.get("/api/v1/reservierungen")).json()["items"] == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_expired_reservations_are_released(make_app):
    async with make_app(reservierungen={"ablauf_intervall_seconds": 0}) as running:
        w = await build_world(running.client)
        await w.eingang("10")
        past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        (old,) = (
            await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "4", "gueltig_bis": past})
        )["items"]
        (new,) = (
            await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "3", "gueltig_bis": future})
        )["items"]
        job = running.app.state.host.data["reservierungen"]
        assert await job.run_once() == 1
        assert await job.run_once() == 0  # idempotent
        assert (await running.client.get(f"/api/v1/reservierungen/{old['id']}")).json()["status"] == "abgelaufen"
        assert (await running.client.get(f"/api/v1/reservierungen/{new['id']}")).json()["status"] == "aktiv"
        (row,) = await w.bestand()
        assert Decimal(row["reserviert"]) == Decimal(3)
        assert await _verify(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_200_concurrent_reservations_of_100_units_give_exactly_100(make_app):
    async with make_app(disabled=["anomaly"]) as running:
        w = await build_world(running.client)
        await w.eingang("100")
        body = {"charge_id": w.chargen[0], "menge": "1"}
        responses = await asyncio.gather(
            *[running.client.post("/api/v1/reservierungen", json=body) for _ in range(200)]
        )
        statuses = [r.status_code for r in responses]
        assert statuses.count(201) == 100 and statuses.count(409) == 100, sorted(set(statuses))
        assert all(r.json()["verfuegbar"] == "0.000" for r in responses if r.status_code == 409)
        (row,) = await w.bestand()
        assert Decimal(row["reserviert"]) == Decimal(100)
        assert await _verify(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_concurrent_outgoing_movements_never_oversell(make_app):
    async with make_app(disabled=["anomaly"]) as running:
        w = await build_world(running.client)
        await w.eingang("50")
        body = {
            "typ": "ausgang",
            "artikel_id": w.artikel,
            "charge_id": w.chargen[0],
            "von_lagerort_id": w.orte[0],
            "menge": "1",
        }
        responses = await asyncio.gather(*[running.client.post("/api/v1/bewegungen", json=body) for _ in range(80)])
        statuses = [r.status_code for r in responses]
        assert statuses.count(201) == 50 and statuses.count(409) == 30, sorted(set(statuses))
        assert await w.bestand() == []  # nothing left, nothing negative
        assert await _verify(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_reservation_idempotency_key(make_app):
    async with make_app() as running:
        w = await build_world(running.client)
        await w.eingang("10")
        body = {"charge_id": w.chargen[0], "menge": "2"}
        headers = {"Idempotency-Key": "auftrag-77"}
        first = await running.client.post("/api/v1/reservierungen", json=body, headers=headers)
        again = await running.client.post("/api/v1/reservierungen", json=body, headers=headers)
        assert first.json() == again.json()
        (row,) = await w.bestand()
        assert Decimal(row["reserviert"]) == Decimal(2)
        different = await running.client.post("/api/v1/reservierungen", json={**body, "menge": "3"}, headers=headers)
        assert different.status_code == 422
