"""Write answers show what was stored (the same as every read), and the domain endpoints agree
with each other: storno filter, inventur location, the expiry check's body, stock in charge answers."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from modular_server.testing import BOTH
from tests.inventory.world import INVENTORY, build_world


async def _get(running, path: str) -> dict:
    response = await running.client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_booking_answers_are_the_stored_rows_not_the_clients_text(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        for text, stored in (("10.5", "10.500"), ("1E+2", "100.000"), ("0.25E1", "2.500"), ("7", "7.000")):
            booked = await w.eingang(text)
            assert booked["menge"] == stored
            assert booked == await _get(running, f"/api/v1/bewegungen/{booked['id']}")
        item = {
            "typ": "eingang",
            "artikel_id": w.artikel,
            "charge_id": w.chargen[0],
            "nach_lagerort_id": w.orte[0],
            "menge": "1E+0",
        }
        batch = await w.post("/api/v1/bewegungen/batch", {"items": [item, {**item, "menge": "2.5"}, item, item]})
        ids = [m["id"] for m in batch["items"]]
        assert ids == sorted(ids)  # identical items: each answer is its own row, in item order
        assert [m["menge"] for m in batch["items"]] == ["1.000", "2.500", "1.000", "1.000"]
        for answered in batch["items"]:
            assert answered == await _get(running, f"/api/v1/bewegungen/{answered['id']}")
        storno = await w.post(f"/api/v1/bewegungen/{ids[1]}/storno", {"bemerkung": "doppelt erfasst"})
        assert storno == await _get(running, f"/api/v1/bewegungen/{storno['id']}")
        # the ledger holds storno movements, so the list can be filtered by them
        stornos = await _get(running, "/api/v1/bewegungen?typ=storno")
        assert [m["id"] for m in stornos["items"]] == [storno["id"]]
        faktor = await w.post(
            "/api/v1/einheiten", {"code": "t", "name": "Tonne", "kategorie": "gewicht", "faktor": "1E+3"}
        )
        assert faktor["faktor"] == "1000.000000" and faktor == await _get(running, f"/api/v1/einheiten/{faktor['id']}")


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_reservation_answers_are_the_stored_rows(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("20")
        bis = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
        body = {
            "charge_id": w.chargen[0],
            "menge": "1.5E+1",
            "gueltig_bis": f"{bis.replace(tzinfo=None).isoformat()}+02:00",
        }
        created = await w.post("/api/v1/reservierungen", body)
        (reservierung,) = created["items"]
        assert (created["angefragt"], created["reserviert"], reservierung["menge"]) == ("15.000", "15.000", "15.000")
        assert reservierung == await _get(running, f"/api/v1/reservierungen/{reservierung['id']}")
        assert datetime.fromisoformat(reservierung["gueltig_bis"]).utcoffset() == timedelta(0)
        naive = await running.client.post("/api/v1/reservierungen", json={**body, "gueltig_bis": "2030-01-01T10:00"})
        assert naive.status_code == 422 and "gueltig_bis" in naive.text
        fulfilled = await w.post(f"/api/v1/reservierungen/{reservierung['id']}/erfuellen", {"menge": "5E+0"}, 200)
        assert fulfilled["reservierung"]["erfuellt"] == "5.000"
        assert fulfilled["reservierung"] == await _get(running, f"/api/v1/reservierungen/{reservierung['id']}")
        cancelled = await w.post(f"/api/v1/reservierungen/{reservierung['id']}/stornieren", {}, 200)
        assert cancelled["status"] == "storniert"
        assert cancelled == await _get(running, f"/api/v1/reservierungen/{reservierung['id']}")


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_batch_reports_the_errors_of_every_stage_at_once(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("5")
        ok = {"typ": "eingang", "artikel_id": w.artikel, "charge_id": w.chargen[0], "nach_lagerort_id": w.orte[0]}
        short = {"typ": "ausgang", "artikel_id": w.artikel, "charge_id": w.chargen[0], "von_lagerort_id": w.orte[0]}
        items = [
            {**ok, "menge": "1"},
            {**ok, "menge": "1", "einheit": "l"},  # master data: a unit of another kategorie
            {**ok, "menge": "1"},
            {**short, "menge": "50"},  # stock: a shortfall
            {**ok, "menge": "1", "artikel_id": 999999},  # master data: unknown artikel
        ]
        response = await running.client.post("/api/v1/bewegungen/batch", json={"items": items})
        assert response.status_code == 409, response.text  # a conflict with stored stock is among them
        errors = response.json()["errors"]
        assert [(e["index"], e["field"]) for e in errors] == [
            (1, "body.items.1.einheit"),
            (3, "body.items.3.menge"),
            (4, "body.items.4.artikel_id"),
        ]
        assert errors[1]["verfuegbar"] == "7.000"  # items 0 and 2 count: the stock as they leave it
        assert [Decimal(r["menge"]) for r in await w.bestand()] == [Decimal(5)]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_an_inventur_names_its_counted_location_in_lagerort_id(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("10")
        counted = {"typ": "inventur", "artikel_id": w.artikel, "charge_id": w.chargen[0], "menge": "8"}
        for wrong in ("nach_lagerort_id", "von_lagerort_id"):
            response = await running.client.post("/api/v1/bewegungen", json={**counted, wrong: w.orte[0]})
            assert response.status_code == 422
            assert [e["field"].split(".")[-1] for e in response.json()["errors"]] == [wrong]
        booked = await w.post("/api/v1/bewegungen", {**counted, "lagerort_id": w.orte[0]})
        # the difference leaves the counted location: the ledger shows its direction
        assert (booked["von_lagerort_id"], booked["nach_lagerort_id"], booked["menge"]) == (w.orte[0], None, "2.000")


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_the_expiry_check_takes_a_body_like_the_daily_check(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)  # CH-2 expires in 100 days, CH-1 in 200
        await w.eingang("1", charge=w.chargen[2])
        stichtag = (date.today() + timedelta(days=10)).isoformat()
        r = await running.client.post("/api/v1/chargen/ablaufend/melden", json={"tage": 95, "stichtag": stichtag})
        assert r.status_code == 200 and r.json() == {"tage": 95, "gemeldet": 1}
        r = await running.client.post("/api/v1/chargen/ablaufend/melden", json={"tage": 80, "stichtag": stichtag})
        assert r.json() == {"tage": 80, "gemeldet": 0}  # the body is honoured, not ignored
        r = await running.client.post("/api/v1/chargen/ablaufend/melden?tage=95", json={"tage": 80})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.tage"
        r = await running.client.post("/api/v1/chargen/ablaufend/melden", json={"tage": 10, "bis": stichtag})
        assert r.status_code == 422  # unknown options are refused, as /notifications/check does


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_charge_answers_carry_the_real_stock_while_lager_serves(make_app):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        new = await w.post("/api/v1/chargen", {"artikel_id": w.artikel, "nummer": "NEU-1"})
        assert new["bestand"] == {"menge": "0.000", "reserviert": "0.000", "verfuegbar": "0.000"}
        await w.eingang("12.5", charge=new["id"])
        await w.post("/api/v1/reservierungen", {"charge_id": new["id"], "menge": "2"})
        stock = {"menge": "12.500", "reserviert": "2.000", "verfuegbar": "10.500"}
        patched = (await running.client.patch(f"/api/v1/chargen/{new['id']}", json={"lieferant": "Mühle Nord"})).json()
        assert patched["bestand"] == stock
        assert (await w.post(f"/api/v1/chargen/{new['id']}/sperren", {}, 200))["bestand"] == stock
        assert (await w.post(f"/api/v1/chargen/{new['id']}/freigeben", {}, 200))["bestand"] == stock
        trace = await _get(running, f"/api/v1/chargen/{new['id']}/verfolgung")
        assert trace["charge"]["bestand"] == stock
        recall = await w.post(f"/api/v1/chargen/{new['id']}/rueckruf", {"grund": "Fremdkörper"}, 200)
        assert recall["charge"]["bestand"] == stock
        assert (await _get(running, f"/api/v1/chargen/{new['id']}"))["bestand"] == stock


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_without_lager_charge_answers_say_unknown(make_app):
    async with make_app(only=["artikel", "chargen"]) as running:
        client = running.client
        kg = (
            await client.post(
                "/api/v1/einheiten", json={"code": "kg", "name": "kg", "kategorie": "gewicht", "faktor": "1"}
            )
        ).json()
        artikel = (
            await client.post("/api/v1/artikel", json={"nummer": "A", "name": "A", "einheit_id": kg["id"]})
        ).json()
        new = (await client.post("/api/v1/chargen", json={"artikel_id": artikel["id"], "nummer": "C"})).json()
        assert new["bestand"] is None
        assert (await _get(running, f"/api/v1/chargen/{new['id']}/verfolgung"))["charge"]["bestand"] is None
