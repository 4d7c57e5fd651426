"""Bookings through the lager API: balances, ledger, storno, units, inventur, batches, bad input."""

from decimal import Decimal

import pytest

from modular_server.plugins.lager.events import BESTAND_UNTER_MINDESTBESTAND
from modular_server.testing import BOTH
from tests.fakes import spy
from tests.inventory.world import INVENTORY, build_world, drift


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_eingang_ausgang_umbuchung_inventur_keep_balances_and_ledger_in_step(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        charge, a, b = w.chargen[0], w.orte[0], w.orte[1]
        await w.eingang("100", charge, a)
        assert (await w.ausgang("30", charge, a)).status_code == 201
        await w.post(
            "/api/v1/bewegungen",
            {
                "typ": "umbuchung",
                "artikel_id": w.artikel,
                "charge_id": charge,
                "von_lagerort_id": a,
                "nach_lagerort_id": b,
                "menge": "20",
            },
        )
        inventur = await w.post(
            "/api/v1/bewegungen",
            {"typ": "inventur", "artikel_id": w.artikel, "charge_id": charge, "lagerort_id": b, "menge": "18.5"},
        )
        # counted 18.5 where 20 were: the difference leaves the location
        assert inventur["von_lagerort_id"] == b and Decimal(inventur["menge"]) == Decimal("1.5")
        found = await w.post(
            "/api/v1/bewegungen",
            {"typ": "inventur", "artikel_id": w.artikel, "charge_id": charge, "lagerort_id": a, "menge": "52"},
        )
        assert found["nach_lagerort_id"] == a and Decimal(found["menge"]) == Decimal(2)
        stock = {row["lagerort_id"]: Decimal(row["menge"]) for row in await w.bestand(charge_id=charge)}
        assert stock == {a: Decimal(52), b: Decimal("18.5")}
        (row_b,) = await w.bestand(lagerort_id=b)
        assert row_b["lager_id"] == w.lager and Decimal(row_b["verfuegbar"]) == Decimal("18.5")
        assert len(await w.bestand(lager_id=w.lager, artikel_id=w.artikel)) == 2
        ledger = (await running.client.get("/api/v1/bewegungen", params={"charge_id": charge})).json()["items"]
        assert [m["typ"] for m in ledger] == ["inventur", "inventur", "umbuchung", "ausgang", "eingang"]  # newest first
        only_b = (await running.client.get("/api/v1/bewegungen", params={"lagerort_id": b})).json()["items"]
        assert [m["typ"] for m in only_b] == ["inventur", "umbuchung"]
        inventuren = (await running.client.get("/api/v1/bewegungen", params={"typ": "inventur"})).json()["items"]
        assert len(inventuren) == 2
        detail = await running.client.get(f"/api/v1/bewegungen/{inventur['id']}")
        assert detail.json() == inventur
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_artikel_without_batches_books_without_a_charge(make_app):
    """Balance rows with charge_id NULL live under their own partial unique index."""
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        base = {"artikel_id": w.lose_ware, "menge": "5"}
        for _ in range(2):
            await w.post("/api/v1/bewegungen", {**base, "typ": "eingang", "nach_lagerort_id": w.orte[0]})
        await w.post(
            "/api/v1/bewegungen",
            {**base, "typ": "umbuchung", "von_lagerort_id": w.orte[0], "nach_lagerort_id": w.orte[1], "menge": "3"},
        )
        rows = await w.bestand(artikel_id=w.lose_ware)
        assert sorted((r["lagerort_id"], r["charge_id"], Decimal(r["menge"])) for r in rows) == [
            (w.orte[0], None, Decimal(7)),
            (w.orte[1], None, Decimal(3)),
        ]
        with_charge = await running.client.post(
            "/api/v1/bewegungen",
            json={**base, "typ": "eingang", "nach_lagerort_id": w.orte[0], "charge_id": w.chargen[0]},
        )
        assert with_charge.status_code == 422 and with_charge.json()["errors"][0]["field"] == "body.charge_id"
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_bad_input_gets_the_right_problem_and_changes_nothing(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("10")
        too_much = await w.ausgang("10.001")
        assert too_much.status_code == 409
        assert too_much.headers["content-type"] == "application/problem+json"
        assert too_much.json()["verfuegbar"] == "10.000"
        ein = {"typ": "eingang", "artikel_id": w.artikel, "charge_id": w.chargen[0], "nach_lagerort_id": w.orte[0]}
        aus = {"typ": "ausgang", "artikel_id": w.artikel, "charge_id": w.chargen[0], "von_lagerort_id": w.orte[0]}
        inv = {"typ": "inventur", "artikel_id": w.artikel, "charge_id": w.chargen[0], "lagerort_id": w.orte[0]}
        cases = [
            ({**aus, "menge": "0"}, 422, "menge"),
            ({**aus, "menge": "-1"}, 422, "menge"),
            ({**aus, "menge": "abc"}, 422, "menge"),
            ({**aus, "menge": "1.0001"}, 422, "menge"),  # more than 3 decimal places
            ({**ein, "menge": "1", "typ": "verschrottung"}, 422, "typ"),
            ({**ein, "menge": "1", "artikel_id": 999999}, 422, "artikel_id"),
            ({**ein, "menge": "1", "charge_id": None}, 422, "charge_id"),  # Chargenpflicht
            ({**ein, "menge": "1", "charge_id": 999999}, 422, "charge_id"),
            ({**ein, "menge": "1", "nach_lagerort_id": 999999}, 422, "nach_lagerort_id"),
            ({**ein, "menge": "1", "von_lagerort_id": w.orte[1]}, 422, None),  # eingang has no source
            ({**aus, "menge": "1", "nach_lagerort_id": w.orte[1]}, 422, None),
            ({**aus, "typ": "umbuchung", "menge": "1", "nach_lagerort_id": w.orte[0]}, 422, None),  # same place
            ({**ein, "typ": "inventur", "menge": "1", "von_lagerort_id": w.orte[0]}, 422, None),  # two places
            ({**inv, "menge": "10"}, 422, "menge"),  # counted what is booked: nothing to do
            ({**inv, "menge": "1", "lagerort_id": None}, 422, None),  # no counted location
            ({**ein, "menge": "1", "lagerort_id": w.orte[0]}, 422, "lagerort_id"),  # only an inventur has one
            ({**ein, "menge": "1", "einheit": "l"}, 422, "einheit"),  # incompatible unit
            ({**ein, "menge": "1", "einheit": "zentner"}, 422, "einheit"),  # unknown unit
            ({**ein, "menge": "0.4", "einheit": "g"}, 422, "menge"),  # 0.0004 kg rounds to 0
        ]
        for body, status, field in cases:
            response = await running.client.post("/api/v1/bewegungen", json=body)
            assert response.status_code == status, (body, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            errors = response.json()["errors"]
            if field is not None:
                assert field in {e["field"].split(".")[-1] for e in errors}, (body, errors)
        unknown = await running.client.post("/api/v1/bewegungen/999999/storno", json={})
        assert unknown.status_code == 404
        assert (await running.client.get("/api/v1/bewegungen/999999")).status_code == 404
        for params in ({"cursor": "not-a-cursor"}, {"limit": 501}, {"limit": 0}, {"typ": "verschrottung"}):
            bad = await running.client.get("/api/v1/bewegungen", params=params)
            assert bad.status_code in (400, 422) and bad.headers["content-type"] == "application/problem+json"
        assert [Decimal(r["menge"]) for r in await w.bestand()] == [Decimal(10)]
        assert len((await running.client.get("/api/v1/bewegungen")).json()["items"]) == 1
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_blocked_batches_and_locations_refuse_movements(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("10", w.chargen[0])
        await w.eingang("10", w.chargen[1])
        assert (await running.client.post(f"/api/v1/chargen/{w.chargen[0]}/sperren", json={})).status_code == 200
        blocked = await w.ausgang("1", w.chargen[0])
        assert blocked.status_code == 409 and blocked.json()["charge_status"] == "gesperrt"
        # a blocked batch may still come in or be moved (e.g. into quarantine)
        await w.eingang("1", w.chargen[0])
        await running.client.post(f"/api/v1/chargen/{w.chargen[1]}/rueckruf", json={})
        recalled = await w.ausgang("1", w.chargen[1])
        assert recalled.status_code == 409 and recalled.json()["charge_status"] == "zurueckgerufen"
        assert (
            await running.client.patch(f"/api/v1/lagerorte/{w.orte[1]}", json={"gesperrt": True})
        ).status_code == 200
        to_blocked = await w.post(
            "/api/v1/bewegungen",
            {
                "typ": "umbuchung",
                "artikel_id": w.artikel,
                "charge_id": w.chargen[0],
                "von_lagerort_id": w.orte[0],
                "nach_lagerort_id": w.orte[1],
                "menge": "1",
            },
            status=409,
        )
        assert to_blocked["errors"][0]["field"] == "body.nach_lagerort_id"
        stock = sorted((r["charge_id"], Decimal(r["menge"])) for r in await w.bestand())
        assert stock == [(w.chargen[0], Decimal(11)), (w.chargen[1], Decimal(10))]
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_units_are_converted_to_the_artikel_unit(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        booked = await w.eingang("2500", einheit="g")
        assert Decimal(booked["menge"]) == Decimal("2.5")
        taken = await w.ausgang("0.5", einheit="kg")
        assert taken.status_code == 201 and Decimal(taken.json()["menge"]) == Decimal("0.5")
        counted = await w.post(
            "/api/v1/bewegungen",
            {
                "typ": "inventur",
                "artikel_id": w.artikel,
                "charge_id": w.chargen[0],
                "lagerort_id": w.orte[0],
                "menge": "1750",
                "einheit": "g",
            },
        )
        assert Decimal(counted["menge"]) == Decimal("0.25") and counted["von_lagerort_id"] == w.orte[0]
        assert [Decimal(r["menge"]) for r in await w.bestand()] == [Decimal("1.75")]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_storno_reverses_once_and_movements_are_immutable(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        first = await w.eingang("40")
        storno = await w.post(f"/api/v1/bewegungen/{first['id']}/storno", {"bemerkung": "falsch erfasst"})
        assert storno["typ"] == "storno" and storno["storno_von_id"] == first["id"]
        assert storno["von_lagerort_id"] == first["nach_lagerort_id"] and storno["nach_lagerort_id"] is None
        assert await w.bestand() == []  # empty rows are hidden ...
        assert [r["menge"] for r in await w.bestand(leer="true")] == ["0.000"]  # ... unless asked for
        again = await running.client.post(f"/api/v1/bewegungen/{first['id']}/storno", json={})
        assert again.status_code == 409 and again.json()["storno_id"] == storno["id"]
        of_storno = await running.client.post(f"/api/v1/bewegungen/{storno['id']}/storno", json={})
        assert of_storno.status_code == 409
        # a storno needs the stock it takes back
        second = await w.eingang("10")
        assert (await w.ausgang("8")).status_code == 201
        short = await running.client.post(f"/api/v1/bewegungen/{second['id']}/storno")
        assert short.status_code == 409 and short.json()["verfuegbar"] == "2.000"
        for method in ("put", "patch", "delete"):
            response = await running.client.request(method, f"/api/v1/bewegungen/{first['id']}", json={})
            assert response.status_code == 405, method
        assert [Decimal(r["menge"]) for r in await w.bestand()] == [Decimal(2)]
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_batch_is_all_or_nothing_with_per_item_errors(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)

        def item(n: int) -> dict:
            return {
                "typ": "eingang",
                "artikel_id": w.artikel,
                "charge_id": w.chargen[n % 3],
                "nach_lagerort_id": w.orte[n % 3],
                "menge": "1",
            }

        # items see the balances left by the items before them: the eingang pays for the ausgang
        chained = [item(0), {**item(0), "typ": "ausgang", "von_lagerort_id": w.orte[0], "nach_lagerort_id": None}]
        booked = await w.post("/api/v1/bewegungen/batch", {"items": chained})
        assert [m["typ"] for m in booked["items"]] == ["eingang", "ausgang"]
        await w.post("/api/v1/bewegungen/batch", {"items": [item(n) for n in range(6)]})
        before = await w.bestand()
        ledger_before = (await running.client.get("/api/v1/bewegungen")).json()["items"]

        bad = [item(n) for n in range(5)]
        bad[1] = {**bad[1], "menge": "1", "einheit": "l"}
        bad[3] = {**bad[3], "artikel_id": 999999}
        response = await running.client.post("/api/v1/bewegungen/batch", json={"items": bad})
        assert response.status_code == 422
        problem = response.json()
        assert [(e["index"], e["field"]) for e in problem["errors"]] == [
            (1, "body.items.1.einheit"),
            (3, "body.items.3.artikel_id"),
        ]
        assert all(e["reason"] for e in problem["errors"])
        oversell = {**item(0), "typ": "ausgang", "von_lagerort_id": w.orte[1], "nach_lagerort_id": None, "menge": "9"}
        response = await running.client.post("/api/v1/bewegungen/batch", json={"items": [item(0), oversell]})
        assert response.status_code == 409
        assert response.json()["errors"] == [
            {
                "index": 1,
                "field": "body.items.1.menge",
                "reason": f"only 0.000 available at lagerort {w.orte[1]}",
                "verfuegbar": "0.000",
            }
        ]
        too_many = await running.client.post("/api/v1/bewegungen/batch", json={"items": [item(0)] * 1001})
        assert too_many.status_code == 422
        empty = await running.client.post("/api/v1/bewegungen/batch", json={"items": []})
        assert empty.status_code == 422
        assert await w.bestand() == before
        assert (await running.client.get("/api/v1/bewegungen")).json()["items"] == ledger_before
        assert await drift(running) == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_idempotency_key_books_once(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        body = {
            "typ": "eingang",
            "artikel_id": w.artikel,
            "charge_id": w.chargen[0],
            "nach_lagerort_id": w.orte[0],
            "menge": "7",
        }
        headers = {"Idempotency-Key": "lieferung-4711"}
        first = await running.client.post("/api/v1/bewegungen", json=body, headers=headers)
        retry = await running.client.post("/api/v1/bewegungen", json=body, headers=headers)
        assert first.status_code == retry.status_code == 201
        assert retry.json() == first.json() and retry.headers["idempotent-replayed"] == "true"
        other = await running.client.post("/api/v1/bewegungen", json={**body, "menge": "8"}, headers=headers)
        assert other.status_code == 422 and other.headers["content-type"] == "application/problem+json"
        batch = {"items": [body, body]}
        batch_headers = {"Idempotency-Key": "sammel-1"}
        first_batch = await running.client.post("/api/v1/bewegungen/batch", json=batch, headers=batch_headers)
        again = await running.client.post("/api/v1/bewegungen/batch", json=batch, headers=batch_headers)
        assert again.json() == first_batch.json()
        storno_headers = {"Idempotency-Key": "storno-1"}
        storno = await running.client.post(f"/api/v1/bewegungen/{first.json()['id']}/storno", headers=storno_headers)
        replayed = await running.client.post(f"/api/v1/bewegungen/{first.json()['id']}/storno", headers=storno_headers)
        assert storno.status_code == replayed.status_code == 201 and storno.json() == replayed.json()
        # 7 in, 14 in by the batch (booked once), 7 out by the storno (booked once)
        assert [Decimal(r["menge"]) for r in await w.bestand()] == [Decimal(14)]
        assert len((await running.client.get("/api/v1/bewegungen")).json()["items"]) == 4


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_lager_and_lagerorte_crud(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client, orte=2)
        dup = await running.client.post("/api/v1/lager", json={"code": "HAUPT", "name": "noch eins"})
        assert dup.status_code == 409
        neben = await w.post("/api/v1/lager", {"code": "NEBEN", "name": "Nebenlager"})
        assert (await running.client.patch(f"/api/v1/lager/{neben['id']}", json={"aktiv": False})).json()[
            "aktiv"
        ] is False
        listed = (await running.client.get("/api/v1/lager", params={"aktiv": "true"})).json()["items"]
        assert [lager["code"] for lager in listed] == ["HAUPT"]
        regal = await w.post("/api/v1/lagerorte", {"lager_id": w.lager, "code": "R1", "name": "Regal 1"})
        fach = await w.post(
            "/api/v1/lagerorte", {"lager_id": w.lager, "parent_id": regal["id"], "code": "R1-F1", "name": "Fach"}
        )
        assert fach["parent_id"] == regal["id"]
        foreign_parent = await running.client.post(
            "/api/v1/lagerorte", json={"lager_id": neben["id"], "parent_id": regal["id"], "code": "X", "name": "X"}
        )
        assert foreign_parent.status_code == 422
        same_code = await running.client.post(
            "/api/v1/lagerorte", json={"lager_id": w.lager, "code": "R1", "name": "R"}
        )
        assert same_code.status_code == 409
        await w.eingang("1", ort=fach["id"])
        assert (await running.client.delete(f"/api/v1/lagerorte/{fach['id']}")).status_code == 409  # has stock
        assert (await running.client.delete(f"/api/v1/lager/{w.lager}")).status_code == 409  # has locations
        gesperrt = (
            await running.client.get("/api/v1/lagerorte", params={"gesperrt": "false", "lager_id": w.lager})
        ).json()
        assert len(gesperrt["items"]) == 4
        assert (await running.client.delete(f"/api/v1/lager/{neben['id']}")).status_code == 204
        assert (await running.client.get(f"/api/v1/lager/{neben['id']}")).status_code == 404
        assert (await running.client.get(f"/api/v1/lagerorte/{regal['id']}")).json()["code"] == "R1"


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_outgoing_movement_below_mindestbestand_publishes_an_event(make_app):
    async with make_app([spy], only=INVENTORY) as running:
        w = await build_world(running.client)  # MEHL-405 has mindestbestand 5
        await w.eingang("8")
        assert (await w.ausgang("2")).status_code == 201
        assert [e for e in spy.seen(running.app)["events"] if e.type == BESTAND_UNTER_MINDESTBESTAND] == []
        assert (await w.ausgang("2")).status_code == 201
        (event,) = [e for e in spy.seen(running.app)["events"] if e.type == BESTAND_UNTER_MINDESTBESTAND]
        assert event.payload == {
            "artikel_id": w.artikel,
            "artikel_nummer": "MEHL-405",
            "nummer": "MEHL-405",
            "bestand": "4.000",
            "mindestbestand": "5.000",
        }
        assert event.severity == "warning"
        moved = {
            "typ": "umbuchung",
            "artikel_id": w.artikel,
            "charge_id": w.chargen[0],
            "von_lagerort_id": w.orte[0],
            "nach_lagerort_id": w.orte[1],
            "menge": "1",
        }
        await w.post("/api/v1/bewegungen", moved)  # the total stays as it was: no new warning
        assert len([e for e in spy.seen(running.app)["events"] if e.type == BESTAND_UNTER_MINDESTBESTAND]) == 1
        # only the crossing is an event: staying below is the daily check's to report
        assert (await w.ausgang("1")).status_code == 201
        assert len([e for e in spy.seen(running.app)["events"] if e.type == BESTAND_UNTER_MINDESTBESTAND]) == 1
        await w.eingang("10")  # 13 again: above the minimum
        assert (await w.ausgang("9")).status_code == 201  # 4: below again, a new crossing
        warnings = [e for e in spy.seen(running.app)["events"] if e.type == BESTAND_UNTER_MINDESTBESTAND]
        assert [e.payload["bestand"] for e in warnings] == ["4.000", "4.000"]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_bookings_report_changed_rows_not_whole_tables(make_app):
    """The cache evicts by row and foreign key: a booking must not report its balance upsert or
    ledger insert at table level (which would evict every artikel and charge)."""
    async with make_app([spy], only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("10", w.chargen[0], w.orte[0])
        spy.seen(running.app)["changes"].clear()
        moved = await w.post(
            "/api/v1/bewegungen",
            {
                "typ": "umbuchung",
                "artikel_id": w.artikel,
                "charge_id": w.chargen[0],
                "von_lagerort_id": w.orte[0],
                "nach_lagerort_id": w.orte[1],
                "menge": "4",
            },
        )
        await w.post("/api/v1/reservierungen", {"charge_id": w.chargen[0], "menge": "1"})
        changes = [c for batch in spy.seen(running.app)["changes"] for c in batch]
        assert [c for c in changes if c.bulk and c.table in ("bestand", "lagerbewegung")] == []
        balances = {c.related["lagerort_id"]: c for c in changes if c.table == "bestand"}
        assert set(balances) == {w.orte[0], w.orte[1]}
        assert all(
            c.related["charge_id"] == w.chargen[0] and c.related["artikel_id"] == w.artikel for c in balances.values()
        )
        (ledger,) = [c for c in changes if c.table == "lagerbewegung"]
        assert ledger.op == "insert" and ledger.pk == (moved["id"],)
        assert ledger.related["von_lagerort_id"] == w.orte[0] and ledger.related["nach_lagerort_id"] == w.orte[1]
