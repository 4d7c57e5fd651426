"""Chargen: CRUD, status transitions with events, recall, genealogy, expiry, availability and
the stock enrichment that appears only while the lager / reservierungen plugins serve."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D
from typing import Any

import httpx
import pytest

from modular_server.hooks import DomainEvent, PluginSpec, hookimpl
from modular_server.testing import BOTH, RunningApp
from tests.support.rows import InsertRows

INVENTORY = ["artikel", "chargen", "lager", "reservierungen"]
PROBLEM = "application/problem+json"
TODAY = date(2030, 6, 15)  # passed as ?stichtag= so the tests never depend on the clock


class EventCollector:
    PLUGIN = PluginSpec(name="event_collector")

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    @hookimpl
    def event_published(self, event: DomainEvent) -> None:
        self.events.append(event)

    def types(self) -> list[str]:
        return [e.type for e in self.events]


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    return response.json()


async def _artikel(client: httpx.AsyncClient, nummer: str = "A-1", chargenpflicht: bool = True) -> int:
    einheit = await client.get("/api/v1/einheiten?limit=1")
    items = einheit.json()["items"]
    if items:
        stk = items[0]["id"]
    else:
        r = await client.post(
            "/api/v1/einheiten", json={"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": 1}
        )
        stk = r.json()["id"]
    r = await client.post(
        "/api/v1/artikel", json={"nummer": nummer, "name": nummer, "einheit_id": stk, "chargenpflicht": chargenpflicht}
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _charge(client: httpx.AsyncClient, artikel_id: int, nummer: str, **fields: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/chargen", json={"artikel_id": artikel_id, "nummer": nummer, **fields})
    assert r.status_code == 201, r.text
    return r.json()


async def _lagerorte(
    running: RunningApp, insert_rows: InsertRows, *codes: str, gesperrt: tuple[str, ...] = ()
) -> list[int]:
    (lager,) = await insert_rows(running, "lager", [{"code": "L1", "name": "Hauptlager"}])
    return await insert_rows(
        running,
        "lagerort",
        [{"lager_id": lager, "code": code, "name": code, "gesperrt": code in gesperrt} for code in codes],
    )


def _bestand(
    artikel_id: int, charge_id: int | None, lagerort_id: int, menge: str, reserviert: str = "0"
) -> dict[str, Any]:
    return {
        "artikel_id": artikel_id,
        "charge_id": charge_id,
        "lagerort_id": lagerort_id,
        "menge": D(menge),
        "reserviert": D(reserviert),
    }


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_charge_crud_and_refusals_that_change_nothing(make_app):
    async with make_app(only=INVENTORY) as running:
        client = running.client
        mehl = await _artikel(client, "MEHL")
        zucker = await _artikel(client, "ZUCKER")
        lose = await _artikel(client, "LOSE", chargenpflicht=False)
        c1 = await _charge(client, mehl, "C-1", produktionsdatum="2030-01-01", mhd="2030-12-31", lieferant="Mühle")
        assert c1["status"] == "frei" and c1["artikel"]["nummer"] == "MEHL"
        assert c1["mhd"] == "2030-12-31" and c1["lieferant"] == "Mühle"
        same_nummer_other_artikel = await _charge(client, zucker, "C-1")

        r = await client.patch(f"/api/v1/chargen/{c1['id']}", json={"mhd": "2031-01-31", "lieferanten_charge": "X9"})
        assert r.status_code == 200, r.text
        assert (r.json()["mhd"], r.json()["lieferanten_charge"], r.json()["status"]) == ("2031-01-31", "X9", "frei")
        detail = (await client.get(f"/api/v1/chargen/{c1['id']}")).json()
        assert detail["mhd"] == "2031-01-31"
        assert detail["bestand"] == {"menge": "0.000", "reserviert": "0.000", "verfuegbar": "0.000"}
        assert (detail["lagerorte"], detail["reservierungen"]) == ([], [])

        listed = (await client.get(f"/api/v1/chargen?artikel_id={mehl}")).json()["items"]
        assert [c["id"] for c in listed] == [c1["id"]]
        assert [c["id"] for c in (await client.get("/api/v1/chargen?nummer=C-1")).json()["items"]] == [
            c1["id"],
            same_nummer_other_artikel["id"],
        ]
        assert (await client.get("/api/v1/chargen?status=gesperrt")).json()["items"] == []
        before = (await client.get("/api/v1/chargen")).json()

        dup = _problem(await client.post("/api/v1/chargen", json={"artikel_id": mehl, "nummer": "C-1"}), 409)
        assert dup["field"] == "nummer"
        c2 = await _charge(client, mehl, "C-2")
        _problem(await client.patch(f"/api/v1/chargen/{c2['id']}", json={"nummer": "C-1"}), 409)
        assert (await client.delete(f"/api/v1/chargen/{c2['id']}")).status_code == 204
        refusals = [
            (client.post("/api/v1/chargen", json={"artikel_id": 99999, "nummer": "X"}), 422),
            (client.post("/api/v1/chargen", json={"artikel_id": lose, "nummer": "X"}), 422),
            (client.post("/api/v1/chargen", json={"artikel_id": mehl, "nummer": "X", "mhd": "2030-02-30"}), 422),
            (client.post("/api/v1/chargen", json={"artikel_id": mehl, "nummer": "X", "mhd": "morgen"}), 422),
            (
                client.post(
                    "/api/v1/chargen",
                    json={"artikel_id": mehl, "nummer": "X", "produktionsdatum": "2030-05-01", "mhd": "2030-04-01"},
                ),
                422,
            ),
            (client.patch(f"/api/v1/chargen/{c1['id']}", json={"produktionsdatum": "2032-01-01"}), 422),
            (client.patch(f"/api/v1/chargen/{c1['id']}", json={"status": "gesperrt"}), 422),
            (client.patch(f"/api/v1/chargen/{c1['id']}", json={"artikel_id": zucker}), 422),
            (client.patch(f"/api/v1/chargen/{c1['id']}", json={"nummer": None}), 422),
            (client.patch("/api/v1/chargen/99999", json={"lieferant": "x"}), 404),
            (client.get("/api/v1/chargen/99999"), 404),
            (client.delete("/api/v1/chargen/99999"), 404),
            (client.get("/api/v1/chargen?status=kaputt"), 422),
            (client.get("/api/v1/chargen?limit=501"), 422),
            (client.get("/api/v1/chargen?cursor=abc"), 400),
        ]
        for call, status in refusals:
            _problem(await call, status)
        assert (await client.get("/api/v1/chargen")).json() == before


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_status_transitions_raise_events_and_refuse_wrong_ones(make_app):
    collector = EventCollector()
    async with make_app(plugins=[collector], only=INVENTORY) as running:
        client = running.client
        charge = await _charge(client, await _artikel(client), "C-1")
        url = f"/api/v1/chargen/{charge['id']}"

        r = await client.post(f"{url}/sperren", json={"grund": "Laborbefund"})
        assert (r.status_code, r.json()["status"]) == (200, "gesperrt")
        problem = _problem(await client.post(f"{url}/sperren"), 409)
        assert problem["status_current"] == "gesperrt" and problem["type"].endswith("invalid-status-transition")
        assert (await client.post(f"{url}/freigeben")).json()["status"] == "frei"
        _problem(await client.post(f"{url}/freigeben"), 409)
        recalled = await client.post(f"{url}/rueckruf", json={"grund": "Salmonellen"})
        assert recalled.status_code == 200, recalled.text
        assert recalled.json()["charge"]["status"] == "zurueckgerufen"
        for action in ("rueckruf", "sperren", "freigeben"):
            assert _problem(await client.post(f"{url}/{action}"), 409)["status_current"] == "zurueckgerufen"
        _problem(await client.post("/api/v1/chargen/99999/sperren"), 404)
        _problem(await client.post(f"{url}/sperren", json={"grund": "x" * 501}), 422)

        assert collector.types() == ["charge.gesperrt", "charge.freigegeben", "charge.zurueckgerufen"]
        gesperrt, _, rueckruf = collector.events
        assert gesperrt.payload == {
            "charge_id": charge["id"],
            "artikel_id": charge["artikel_id"],
            "nummer": "C-1",
            "grund": "Laborbefund",
        }
        assert rueckruf.severity == "critical" and rueckruf.payload["grund"] == "Salmonellen"
        assert (await client.get(url)).json()["status"] == "zurueckgerufen"


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_recall_returns_open_reservations_and_outgoing_movements(make_app, insert_rows: InsertRows):
    collector = EventCollector()
    async with make_app(plugins=[collector], only=INVENTORY) as running:
        client = running.client
        artikel = await _artikel(client)
        charge = await _charge(client, artikel, "C-1")
        other = await _charge(client, artikel, "C-2")
        ort_a, ort_b = await _lagerorte(running, insert_rows, "A", "B")
        await insert_rows(
            running,
            "bestand",
            [_bestand(artikel, charge["id"], ort_a, "10", "4"), _bestand(artikel, other["id"], ort_a, "5")],
        )
        reservation = {
            "anfrage_id": "r",
            "artikel_id": artikel,
            "lagerort_id": ort_a,
            "created_by": "test",
            "erfuellt": D("0"),
            "referenz_typ": None,
            "referenz_id": None,
        }
        open_id, _, _ = await insert_rows(
            running,
            "lager_chargen_reservierung",
            [
                {
                    **reservation,
                    "charge_id": charge["id"],
                    "menge": D("4"),
                    "erfuellt": D("1"),
                    "status": "aktiv",
                    "referenz_typ": "auftrag",
                    "referenz_id": "4711",
                },
                {**reservation, "charge_id": charge["id"], "menge": D("2"), "status": "erledigt"},
                {**reservation, "charge_id": other["id"], "menge": D("1"), "status": "aktiv"},
            ],
        )
        move = {
            "artikel_id": artikel,
            "created_by": "test",
            "von_lagerort_id": None,
            "nach_lagerort_id": None,
            "referenz_typ": None,
            "referenz_id": None,
        }
        _, out_1, out_2, _ = await insert_rows(
            running,
            "lagerbewegung",
            [
                {**move, "typ": "eingang", "charge_id": charge["id"], "nach_lagerort_id": ort_a, "menge": D("20")},
                {
                    **move,
                    "typ": "ausgang",
                    "charge_id": charge["id"],
                    "von_lagerort_id": ort_a,
                    "menge": D("6"),
                    "referenz_typ": "lieferschein",
                    "referenz_id": "L-1",
                },
                {**move, "typ": "ausgang", "charge_id": charge["id"], "von_lagerort_id": ort_b, "menge": D("3")},
                {**move, "typ": "ausgang", "charge_id": other["id"], "von_lagerort_id": ort_a, "menge": D("1")},
            ],
        )
        await insert_rows(
            running,
            "lagerbewegung",
            [
                {
                    **move,
                    "typ": "storno",
                    "charge_id": charge["id"],
                    "nach_lagerort_id": ort_b,
                    "menge": D("3"),
                    "storno_von_id": out_2,
                }
            ],
        )

        r = await client.post(f"/api/v1/chargen/{charge['id']}/rueckruf")
        assert r.status_code == 200, r.text
        body = r.json()
        assert [(x["id"], x["offen"], x["referenz_id"]) for x in body["offene_reservierungen"]] == [
            (open_id, "3.000", "4711")
        ]
        assert [(x["id"], x["menge"], x["storniert"]) for x in body["ausgaenge"]] == [
            (out_1, "6.000", False),
            (out_2, "3.000", True),
        ]
        assert body["ausgaenge"][0]["referenz_id"] == "L-1"
        assert collector.events[-1].payload["offene_reservierungen"] == 1
        assert collector.events[-1].payload["ausgaenge"] == 2


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_stock_enrichment_and_fefo_availability(make_app, insert_rows: InsertRows):
    async with make_app(only=INVENTORY) as running:
        client = running.client
        artikel = await _artikel(client)
        spaet = await _charge(client, artikel, "SPAET", mhd="2030-09-01")
        frueh = await _charge(client, artikel, "FRUEH", mhd="2030-07-01")
        ohne_mhd = await _charge(client, artikel, "OHNE")
        abgelaufen = await _charge(client, artikel, "ALT", mhd="2030-06-14")
        gesperrt = await _charge(client, artikel, "GESPERRT", mhd="2030-06-20")
        leer = await _charge(client, artikel, "LEER", mhd="2030-06-16")
        await client.post(f"/api/v1/chargen/{gesperrt['id']}/sperren")
        ort_a, ort_b, ort_x = await _lagerorte(running, insert_rows, "A", "B", "X", gesperrt=("X",))
        await insert_rows(
            running,
            "bestand",
            [
                _bestand(artikel, spaet["id"], ort_a, "10", "2"),
                _bestand(artikel, frueh["id"], ort_b, "5"),
                _bestand(artikel, frueh["id"], ort_a, "7.5", "7.5"),
                _bestand(artikel, frueh["id"], ort_x, "1"),
                _bestand(artikel, ohne_mhd["id"], ort_a, "3"),
                _bestand(artikel, abgelaufen["id"], ort_a, "4"),
                _bestand(artikel, gesperrt["id"], ort_b, "6"),
                _bestand(artikel, leer["id"], ort_b, "0"),
            ],
        )
        listed = {c["nummer"]: c["bestand"] for c in (await client.get("/api/v1/chargen")).json()["items"]}
        assert listed["FRUEH"] == {"menge": "13.500", "reserviert": "7.500", "verfuegbar": "6.000"}
        assert listed["LEER"] == {"menge": "0.000", "reserviert": "0.000", "verfuegbar": "0.000"}

        detail = (await client.get(f"/api/v1/chargen/{frueh['id']}")).json()
        assert [(o["lagerort_code"], o["verfuegbar"], o["lagerort_gesperrt"]) for o in detail["lagerorte"]] == [
            ("A", "0.000", False),
            ("B", "5.000", False),
            ("X", "1.000", True),
        ]
        assert detail["bestand"]["menge"] == "13.500"

        r = await client.get(f"/api/v1/artikel/{artikel}/verfuegbarkeit?stichtag={TODAY}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert [(p["charge"]["nummer"], p["lagerort_code"], p["verfuegbar"]) for p in body["verfuegbar"]] == [
            ("FRUEH", "A", "0.000"),
            ("FRUEH", "B", "5.000"),
            ("SPAET", "A", "8.000"),
            ("OHNE", "A", "3.000"),
        ]
        assert [(p["charge"]["nummer"], p["lagerort_code"], p["grund"]) for p in body["nicht_verfuegbar"]] == [
            ("ALT", "A", "abgelaufen"),
            ("GESPERRT", "B", "gesperrt"),
            ("FRUEH", "X", "lagerort_gesperrt"),
        ]
        assert body["summe"] == {"menge": "25.500", "reserviert": "9.500", "verfuegbar": "16.000"}
        assert body["stichtag"] == str(TODAY)
        # on its MHD day a batch is still usable
        on_the_day = (await client.get(f"/api/v1/artikel/{artikel}/verfuegbarkeit?stichtag=2030-06-14")).json()
        assert "ALT" in [p["charge"]["nummer"] for p in on_the_day["verfuegbar"]]

        lose = await _artikel(client, "LOSE", chargenpflicht=False)
        await insert_rows(running, "bestand", [_bestand(lose, None, ort_b, "2")])
        body = (await client.get(f"/api/v1/artikel/{lose}/verfuegbarkeit")).json()
        assert [(p["charge"], p["menge"]) for p in body["verfuegbar"]] == [(None, "2.000")]

        _problem(await client.get("/api/v1/artikel/99999/verfuegbarkeit"), 404)
        _problem(await client.get(f"/api/v1/artikel/{artikel}/verfuegbarkeit?stichtag=2030-13-01"), 422)


async def test_without_lager_the_stock_fields_are_null(make_app):
    async with make_app(only=["artikel", "chargen"]) as running:
        client = running.client
        artikel = await _artikel(client)
        charge = await _charge(client, artikel, "C-1")
        assert (await client.get("/api/v1/chargen")).json()["items"][0]["bestand"] is None
        detail = (await client.get(f"/api/v1/chargen/{charge['id']}")).json()
        assert (detail["bestand"], detail["lagerorte"], detail["reservierungen"]) == (None, None, None)
        body = (await client.get(f"/api/v1/artikel/{artikel}/verfuegbarkeit")).json()
        assert (body["summe"], body["verfuegbar"], body["nicht_verfuegbar"]) == (None, None, None)
        _problem(await client.get("/api/v1/chargen/ablaufend?mit_bestand=true"), 422)
        recalled = (await client.post(f"/api/v1/chargen/{charge['id']}/rueckruf")).json()
        assert (recalled["offene_reservierungen"], recalled["ausgaenge"]) == (None, None)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_genealogy_links_and_tracing(make_app):
    async with make_app(only=["artikel", "chargen"], chargen={"verfolgung_max_tiefe": 5}) as running:
        client = running.client
        artikel = await _artikel(client)
        a, b, c, d, e, f = [(await _charge(client, artikel, n))["id"] for n in "ABCDEF"]

        async def link(child: int, parent: int, art: str = "produktion", **extra: Any) -> httpx.Response:
            return await client.post(
                f"/api/v1/chargen/{child}/herkunft", json={"parent_id": parent, "art": art, **extra}
            )

        # A -> B -> C <- D ; C -> E -> F
        created = await link(b, a, "umpackung", menge="2.5")
        assert created.status_code == 201, created.text
        assert (created.json()["parent_id"], created.json()["child_id"], created.json()["menge"]) == (a, b, "2.500")
        for child, parent in ((c, b), (c, d), (e, c), (f, e)):
            assert (await link(child, parent)).status_code == 201

        trace = (await client.get(f"/api/v1/chargen/{c}/verfolgung")).json()
        assert [(n["id"], n["tiefe"]) for n in trace["vorfahren"]] == [(b, 1), (d, 1), (a, 2)]
        assert [(n["id"], n["tiefe"]) for n in trace["nachfahren"]] == [(e, 1), (f, 2)]
        assert {(k["parent_id"], k["child_id"]) for k in trace["kanten"]} == {(a, b), (b, c), (d, c), (c, e), (e, f)}
        assert trace["charge"]["id"] == c and trace["vorfahren"][0]["artikel_nummer"] == "A-1"

        shallow = (await client.get(f"/api/v1/chargen/{c}/verfolgung?tiefe=1&richtung=rueckwaerts")).json()
        assert ([n["id"] for n in shallow["vorfahren"]], shallow["nachfahren"]) == ([b, d], [])
        forward = (await client.get(f"/api/v1/chargen/{a}/verfolgung?richtung=vorwaerts")).json()
        assert [n["id"] for n in forward["nachfahren"]] == [b, c, e, f]

        before = (await client.get(f"/api/v1/chargen/{a}/verfolgung")).json()
        assert _problem(await link(a, f), 409)["type"].endswith("genealogy-cycle")
        assert _problem(await link(c, b), 409)["field"] == "parent_id"
        _problem(await link(a, a), 422)
        _problem(await link(a, 99999), 422)
        _problem(await link(99999, a), 404)
        _problem(await link(a, b, "zauberei"), 422)
        _problem(await link(a, d, menge="0"), 422)
        _problem(await client.get(f"/api/v1/chargen/{c}/verfolgung?tiefe=6"), 422)
        _problem(await client.get(f"/api/v1/chargen/{c}/verfolgung?tiefe=0"), 422)
        _problem(await client.get(f"/api/v1/chargen/{c}/verfolgung?richtung=seitwaerts"), 422)
        _problem(await client.get("/api/v1/chargen/99999/verfolgung"), 404)
        assert (await client.get(f"/api/v1/chargen/{a}/verfolgung")).json() == before

        # a batch in the genealogy cannot be deleted; removing the link frees it
        _problem(await client.delete(f"/api/v1/chargen/{f}"), 409)
        assert (await client.delete(f"/api/v1/chargen/{f}/herkunft/{e}")).status_code == 204
        _problem(await client.delete(f"/api/v1/chargen/{f}/herkunft/{e}"), 404)
        assert (await client.delete(f"/api/v1/chargen/{f}")).status_code == 204
        assert [n["id"] for n in (await client.get(f"/api/v1/chargen/{c}/verfolgung")).json()["nachfahren"]] == [e]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_expiring_batches_and_expiry_events(make_app, insert_rows: InsertRows):
    collector = EventCollector()
    async with make_app(plugins=[collector], only=INVENTORY, chargen={"ablauf_warnung_tage": 10}) as running:
        client = running.client
        artikel = await _artikel(client)

        def in_days(days: int) -> str:
            return str(TODAY + timedelta(days=days))

        ids = {}
        for nummer, days in (("GESTERN", -1), ("HEUTE", 0), ("D10", 10), ("D10B", 10), ("D29", 29), ("D40", 40)):
            ids[nummer] = (await _charge(client, artikel, nummer, mhd=in_days(days)))["id"]
        ids["OHNE"] = (await _charge(client, artikel, "OHNE"))["id"]
        await client.post(f"/api/v1/chargen/{ids['D29']}/sperren")

        async def nummern(query: str) -> list[str]:
            r = await client.get(f"/api/v1/chargen/ablaufend?stichtag={TODAY}&{query}")
            assert r.status_code == 200, r.text
            return [c["nummer"] for c in r.json()["items"]]

        assert await nummern("tage=30") == ["HEUTE", "D10", "D10B", "D29"]
        assert await nummern("tage=30&abgelaufene=true") == ["GESTERN", "HEUTE", "D10", "D10B", "D29"]
        assert await nummern("tage=0") == ["HEUTE"]
        assert await nummern("tage=30&status=gesperrt") == ["D29"]

        # keyset on (mhd, id): one per page, equal MHDs included
        seen, cursor = [], None
        while True:
            params = {"stichtag": str(TODAY), "tage": 30, "limit": 1, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/v1/chargen/ablaufend", params=params)).json()
            seen += [c["nummer"] for c in page["items"]]
            if (cursor := page["next_cursor"]) is None:
                break
        assert seen == ["HEUTE", "D10", "D10B", "D29"]
        other_list_cursor = (await client.get("/api/v1/chargen?limit=1")).json()["next_cursor"]
        _problem(await client.get(f"/api/v1/chargen/ablaufend?cursor={other_list_cursor}"), 400)
        for bad in ("tage=-1", "tage=3651", "stichtag=gestern", "stichtag=2030-02-30", "limit=501"):
            _problem(await client.get(f"/api/v1/chargen/ablaufend?{bad}"), 422)

        # with lager serving, only batches with stock are of interest
        (ort,) = await _lagerorte(running, insert_rows, "A")
        await insert_rows(
            running, "bestand", [_bestand(artikel, ids["D10B"], ort, "1"), _bestand(artikel, ids["HEUTE"], ort, "0")]
        )
        assert await nummern("tage=30&mit_bestand=true") == ["D10B"]

        # the expiry check: free, stocked batches within the configured window (10 days)
        r = await client.post(f"/api/v1/chargen/ablaufend/melden?stichtag={TODAY}")
        assert r.json() == {"tage": 10, "gemeldet": 1}
        event = collector.events[-1]
        assert (event.type, event.severity) == ("charge.laeuft_ab", "warning")
        assert event.payload == {
            "charge_id": ids["D10B"],
            "artikel_id": artikel,
            "artikel_nummer": "A-1",
            "nummer": "D10B",
            "mhd": in_days(10),
            "tage_bis_mhd": 10,
        }
        await insert_rows(
            running, "bestand", [_bestand(artikel, ids["D10"], ort, "1"), _bestand(artikel, ids["D29"], ort, "1")]
        )
        runtime = running.app.state.host.data["chargen"]
        assert await runtime.melde_ablaufende(stichtag=TODAY) == 2  # D29 is blocked, not reported
        assert await runtime.melde_ablaufende(tage=40, stichtag=TODAY) == 2
        _problem(await running.as_scope("write").post("/api/v1/chargen/ablaufend/melden"), 403)
        _problem(await client.post("/api/v1/chargen/ablaufend/melden?tage=0"), 422)
