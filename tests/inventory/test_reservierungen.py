"""Reservations: FEFO allocation, fulfilment, cancellation, expiry, idempotency, bad input, events."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from modular_server.plugins.reservierungen import events
from modular_server.plugins.reservierungen.models import Reservierung
from modular_server.testing import BOTH, RunningApp
from tests.fakes import spy
from tests.inventory.world import INVENTORY, build_world, drift

LATER = (datetime.now(UTC) + timedelta(days=1)).isoformat()


async def _backdate(running: RunningApp, *ids: int) -> None:
    """Let reservations run out: gueltig_bis a minute ago (the API refuses a past gueltig_bis)."""

    async def work(session) -> None:
        past = datetime.now(UTC) - timedelta(minutes=1)
        await session.execute(update(Reservierung).where(Reservierung.id.in_(ids)).values(gueltig_bis=past))

    await running.app.state.db.transaction(work)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_fefo_allocation_skips_blocked_expired_batches_and_blocked_locations(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client, chargen=5)
        # chargen[0] MHD +300 d, [1] +200 d, [2] +100 d, [3] today (still good), [4] expired
        for charge in w.chargen:
            await w.eingang("10", charge, w.orte[0])
        await w.eingang("10", w.chargen[3], w.orte[2])
        await running.client.post(f"/api/v1/chargen/{w.chargen[2]}/sperren", json={})
        await running.client.patch(f"/api/v1/lagerorte/{w.orte[2]}", json={"gesperrt": True})
        created = await w.post(
            "/api/v1/reservierungen",
            {"artikel_id": w.artikel, "menge": "25", "referenz_typ": "auftrag", "referenz_id": "AU-1"},
        )
        allocation = [(r["charge_id"], r["lagerort_id"], Decimal(r["menge"])) for r in created["items"]]
        # earliest MHD first: [3] (not at the blocked location), then [1] ([2] is blocked), then [0]
        assert allocation == [
            (w.chargen[3], w.orte[0], Decimal(10)),
            (w.chargen[1], w.orte[0], Decimal(10)),
            (w.chargen[0], w.orte[0], Decimal(5)),
        ]
        assert Decimal(created["reserviert"]) == Decimal(created["angefragt"]) == Decimal(25)
        assert len({r["anfrage_id"] for r in created["items"]}) == 1
        short = await running.client.post("/api/v1/reservierungen", json={"artikel_id": w.artikel, "menge": "10"})
        assert short.status_code == 409
        assert short.json()["verfuegbar"] == "5.000" and short.json()["angefragt"] == "10.000"
        partial = await w.post(
            "/api/v1/reservierungen", {"artikel_id": w.artikel, "menge": "10", "allow_partial": True}
        )
        assert Decimal(partial["reserviert"]) == Decimal(5) and Decimal(partial["angefragt"]) == Decimal(10)
        nothing = await running.client.post(
            "/api/v1/reservierungen", json={"artikel_id": w.artikel, "menge": "1", "allow_partial": True}
        )
        assert nothing.status_code == 409 and nothing.json()["verfuegbar"] == "0.000"
        listed = (await running.client.get("/api/v1/reservierungen", params={"referenz_id": "AU-1"})).json()["items"]
        assert len(listed) == 3
        grouped = await running.client.get("/api/v1/reservierungen", params={"anfrage_id": created["anfrage_id"]})
        assert [r["id"] for r in grouped.json()["items"]] == [r["id"] for r in created["items"]]
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_reserving_one_charge_picks_its_locations_or_the_given_one(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("4", w.chargen[0], w.orte[0])
        await w.eingang("4", w.chargen[0], w.orte[1])
        picked = await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "6"})
        assert sorted(Decimal(r["menge"]) for r in picked["items"]) == [Decimal(2), Decimal(4)]
        here = await running.client.post(
            "/api/v1/reservierungen", json={"charge_id": w.chargen[0], "lagerort_id": w.orte[2], "menge": "1"}
        )
        assert here.status_code == 409 and here.json()["verfuegbar"] == "0.000"
        in_grams = await w.post(
            "/api/v1/reservierungen",
            {"charge_id": w.chargen[0], "lagerort_id": w.orte[1], "menge": "500", "einheit": "g"},
        )
        assert in_grams["items"][0]["lagerort_id"] == w.orte[1] and in_grams["reserviert"] == "0.500"
        reserved = sorted(Decimal(r["reserviert"]) for r in await w.bestand())
        assert reserved == [Decimal("2.5"), Decimal(4)] or reserved == [Decimal(2), Decimal("4.5")]
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_fulfil_cancel_and_status_transitions(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("50")
        (reservation,) = (await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "20"}))["items"]
        rid = reservation["id"]
        # reserved stock is not available to other outgoing movements
        assert (await w.ausgang("31")).status_code == 409
        part = await running.client.post(f"/api/v1/reservierungen/{rid}/erfuellen", json={"menge": "5"})
        assert part.status_code == 200, part.text
        assert part.json()["reservierung"]["status"] == "aktiv" and part.json()["reservierung"]["erfuellt"] == "5.000"
        movement = (await running.client.get(f"/api/v1/bewegungen/{part.json()['bewegung_id']}")).json()
        assert movement["typ"] == "ausgang" and movement["referenz_typ"] == "reservierung"
        assert movement["referenz_id"] == str(rid)
        over = await running.client.post(f"/api/v1/reservierungen/{rid}/erfuellen", json={"menge": "16"})
        assert over.status_code == 422 and over.json()["offen"] == "15.000"
        rest = await running.client.post(f"/api/v1/reservierungen/{rid}/erfuellen")
        assert rest.json()["reservierung"]["status"] == "erledigt"
        for action in ("stornieren", "erfuellen"):
            done = await running.client.post(f"/api/v1/reservierungen/{rid}/{action}")
            assert done.status_code == 409 and done.json()["status_current"] == "erledigt"
        (second,) = (await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "10"}))["items"]
        cancelled = await running.client.post(f"/api/v1/reservierungen/{second['id']}/stornieren")
        assert cancelled.json()["status"] == "storniert"
        (row,) = await w.bestand()
        assert Decimal(row["menge"]) == Decimal(30) and Decimal(row["reserviert"]) == Decimal(0)
        movements = (await running.client.get("/api/v1/bewegungen", params={"referenz_typ": "reservierung"})).json()[
            "items"
        ]
        assert sorted(Decimal(m["menge"]) for m in movements) == [Decimal(5), Decimal(15)]
        for action in ("erfuellen", "stornieren"):
            assert (await running.client.post(f"/api/v1/reservierungen/999999/{action}")).status_code == 404
        assert (await running.client.get("/api/v1/reservierungen/999999")).status_code == 404
        by_status = (await running.client.get("/api/v1/reservierungen", params={"status": "storniert"})).json()
        assert [r["id"] for r in by_status["items"]] == [second["id"]]
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_fulfilling_a_blocked_batch_is_refused(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("10")
        (reservation,) = (await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "4"}))["items"]
        await running.client.post(f"/api/v1/chargen/{w.chargen[0]}/sperren", json={})
        refused = await running.client.post(f"/api/v1/reservierungen/{reservation['id']}/erfuellen")
        assert refused.status_code == 409 and refused.json()["charge_status"] == "gesperrt"
        (row,) = await w.bestand()
        assert (Decimal(row["menge"]), Decimal(row["reserviert"])) == (Decimal(10), Decimal(4))
        # cancelling still releases it
        cancelled = await running.client.post(f"/api/v1/reservierungen/{reservation['id']}/stornieren")
        assert cancelled.status_code == 200
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_bad_reservations_are_refused_and_change_nothing(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("10")
        salz = {"typ": "eingang", "artikel_id": w.lose_ware, "nach_lagerort_id": w.orte[0], "menge": "3"}
        await w.post("/api/v1/bewegungen", salz)
        past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        charge = w.chargen[0]
        cases = [
            ({"charge_id": charge, "artikel_id": w.artikel, "menge": "1"}, 422),
            ({"menge": "1"}, 422),
            ({"charge_id": charge, "menge": "0"}, 422),
            ({"charge_id": charge, "menge": "-3"}, 422),
            ({"charge_id": charge, "menge": "1.0001"}, 422),
            ({"charge_id": charge, "menge": "zwei"}, 422),
            ({"charge_id": 999999, "menge": "1"}, 422),
            ({"artikel_id": 999999, "menge": "1"}, 422),
            ({"artikel_id": w.lose_ware, "menge": "1"}, 422),  # not managed in batches
            ({"charge_id": charge, "lagerort_id": 999999, "menge": "1"}, 422),
            ({"charge_id": charge, "menge": "1", "einheit": "l"}, 422),
            ({"charge_id": charge, "menge": "1", "einheit": "zentner"}, 422),
            ({"charge_id": charge, "menge": "0.4", "einheit": "g"}, 422),
            ({"charge_id": charge, "menge": "1", "gueltig_bis": past}, 422),
            ({"charge_id": charge, "menge": "11"}, 409),
        ]
        for body, status in cases:
            response = await running.client.post("/api/v1/reservierungen", json=body)
            assert response.status_code == status, (body, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        for params in ({"cursor": "kaputt"}, {"limit": 501}, {"status": "offen"}):
            bad = await running.client.get("/api/v1/reservierungen", params=params)
            assert bad.status_code in (400, 422), params
        await running.client.post(f"/api/v1/chargen/{charge}/rueckruf", json={})
        recalled = await running.client.post("/api/v1/reservierungen", json={"charge_id": charge, "menge": "1"})
        assert recalled.status_code == 409 and recalled.json()["charge_status"] == "zurueckgerufen"
        assert [Decimal(r["reserviert"]) for r in await w.bestand()] == [0, 0]
        assert (await running.client.get("/api/v1/reservierungen")).json()["items"] == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_an_expired_batch_cannot_be_reserved(make_app, insert_rows):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client, chargen=0)
        yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
        (old,) = await insert_rows(
            running, "charge", [{"artikel_id": w.artikel, "nummer": "ALT", "status": "frei", "mhd": yesterday}]
        )
        await w.eingang("5", old)
        refused = await running.client.post("/api/v1/reservierungen", json={"charge_id": old, "menge": "1"})
        assert refused.status_code == 409 and refused.json()["mhd"] == yesterday.isoformat()
        by_artikel = await running.client.post("/api/v1/reservierungen", json={"artikel_id": w.artikel, "menge": "1"})
        assert by_artikel.status_code == 409 and by_artikel.json()["verfuegbar"] == "0.000"


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_expiry_job_releases_overdue_reservations_once(make_app):
    async with make_app([spy], only=INVENTORY, reservierungen={"ablauf_intervall_seconds": 0}) as running:
        w = await build_world(running.client)
        await w.eingang("10")
        (old,) = (
            await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "4", "gueltig_bis": LATER})
        )["items"]
        (new,) = (
            await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "3", "gueltig_bis": LATER})
        )["items"]
        await _backdate(running, old["id"])
        job = running.app.state.host.data["reservierungen"]
        assert await job.run_once() == 1
        assert await job.run_once() == 0  # idempotent
        expired = [e for e in spy.seen(running.app)["events"] if e.type == events.RESERVIERUNG_ABGELAUFEN]
        assert [e.payload["ids"] for e in expired] == [[old["id"]]]
        assert (await running.client.get(f"/api/v1/reservierungen/{old['id']}")).json()["status"] == "abgelaufen"
        assert (await running.client.get(f"/api/v1/reservierungen/{new['id']}")).json()["status"] == "aktiv"
        (row,) = await w.bestand()
        assert Decimal(row["reserviert"]) == Decimal(3)
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_the_expiry_job_runs_on_its_interval(make_app):
    async with make_app(only=INVENTORY, reservierungen={"ablauf_intervall_seconds": 0.05}) as running:
        w = await build_world(running.client)
        await w.eingang("10")
        (held,) = (
            await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "4", "gueltig_bis": LATER})
        )["items"]
        await _backdate(running, held["id"])
        for _ in range(100):  # the job runs every 50 ms; read the balance until it has
            (row,) = await w.bestand()
            if Decimal(row["reserviert"]) == 0:
                break
            await asyncio.sleep(0.05)
        assert Decimal(row["reserviert"]) == 0
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_overdue_reservations_are_released_on_read_and_before_new_ones(make_app):
    """Between two runs of the expiry job nothing overdue holds stock or looks active."""
    async with make_app(only=INVENTORY, reservierungen={"ablauf_intervall_seconds": 0}) as running:
        w = await build_world(running.client)
        await w.eingang("10")
        reserve = {"charge_id": w.chargen[0], "menge": "6", "gueltig_bis": LATER}
        (first,) = (await w.post("/api/v1/reservierungen", reserve))["items"]
        await _backdate(running, first["id"])
        # a new reservation sees the overdue one's stock as free
        (second,) = (await w.post("/api/v1/reservierungen", {**reserve, "menge": "10"}))["items"]
        (row,) = await w.bestand()
        assert Decimal(row["reserviert"]) == Decimal(10)
        assert (await running.client.get(f"/api/v1/reservierungen/{first['id']}")).json()["status"] == "abgelaufen"
        # reading releases: the detail and the list
        await _backdate(running, second["id"])
        listed = (await running.client.get("/api/v1/reservierungen", params={"status": "aktiv"})).json()["items"]
        assert listed == []
        (row,) = await w.bestand()
        assert Decimal(row["reserviert"]) == 0
        (third,) = (await w.post("/api/v1/reservierungen", {**reserve, "menge": "2"}))["items"]
        await _backdate(running, third["id"])
        refused = await running.client.post(f"/api/v1/reservierungen/{third['id']}/erfuellen")
        assert refused.status_code == 409 and refused.json()["status_current"] == "abgelaufen"
        assert (await running.client.get(f"/api/v1/reservierungen/{third['id']}")).json()["status"] == "abgelaufen"
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_reservation_events_are_published_after_commit(make_app):
    async with make_app([spy], only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("10")
        created = await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "4"})
        rid = created["items"][0]["id"]
        await running.client.post(f"/api/v1/reservierungen/{rid}/erfuellen", json={"menge": "1"})
        await running.client.post(f"/api/v1/reservierungen/{rid}/stornieren")
        await running.client.post("/api/v1/reservierungen", json={"charge_id": w.chargen[0], "menge": "99"})  # 409
        seen = [(e.type, e.payload) for e in spy.seen(running.app)["events"] if e.type.startswith("reservierung.")]
        common = {
            "reservierung_id": rid,
            "ids": [rid],
            "anzahl": 1,
            "anfrage_id": created["anfrage_id"],
            "artikel_id": w.artikel,
            "charge_ids": [w.chargen[0]],
            "referenz_typ": None,
            "referenz_id": None,
        }
        (_, fulfilled), (_, cancelled) = seen[1:]
        assert seen[0] == (events.RESERVIERUNG_ANGELEGT, {**common, "menge": "4.000"})
        assert [t for t, _ in seen] == [
            events.RESERVIERUNG_ANGELEGT,
            events.RESERVIERUNG_ERFUELLT,
            events.RESERVIERUNG_STORNIERT,
        ]
        assert fulfilled["menge"] == "1.000" and fulfilled["bewegung_id"] > 0 and cancelled == common


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_reservation_idempotency_key(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("10")
        body = {"charge_id": w.chargen[0], "menge": "2"}
        headers = {"Idempotency-Key": "auftrag-77"}
        first = await running.client.post("/api/v1/reservierungen", json=body, headers=headers)
        again = await running.client.post("/api/v1/reservierungen", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json() and again.headers["idempotent-replayed"] == "true"
        (row,) = await w.bestand()
        assert Decimal(row["reserviert"]) == Decimal(2)
        different = await running.client.post("/api/v1/reservierungen", json={**body, "menge": "3"}, headers=headers)
        assert different.status_code == 422
        rid = first.json()["items"][0]["id"]
        fulfil = {"Idempotency-Key": "versand-1"}
        shipped = await running.client.post(
            f"/api/v1/reservierungen/{rid}/erfuellen", json={"menge": "1"}, headers=fulfil
        )
        replay = await running.client.post(
            f"/api/v1/reservierungen/{rid}/erfuellen", json={"menge": "1"}, headers=fulfil
        )
        assert shipped.status_code == replay.status_code == 200 and shipped.json() == replay.json()
        (row,) = await w.bestand()
        assert (Decimal(row["menge"]), Decimal(row["reserviert"])) == (Decimal(9), Decimal(1))
        assert await drift(running) == []
