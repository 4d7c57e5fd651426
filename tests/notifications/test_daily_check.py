"""The daily check: expiring batches and low stock, read from the inventory tables while their
plugins serve; running it again (the same day, or in another worker) adds nothing."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal as D
from typing import Any

import pytest

from modular_server.plugins.notifications.daily import seconds_until
from modular_server.testing import BOTH, RunningApp
from tests.support.apps import AppFactory
from tests.support.rows import insert_rows

STICHTAG = date(2030, 6, 15)
INVENTORY = ("artikel", "chargen", "lager", "notifications")


async def stock_scene(running: RunningApp) -> dict[str, int]:
    [stk] = await insert_rows(
        running, "einheit", [{"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": 1}]
    )

    def artikel(nummer: str, mindestbestand: str, aktiv: bool = True) -> dict[str, Any]:
        return {
            "nummer": nummer,
            "name": nummer,
            "einheit_id": stk,
            "chargenpflicht": True,
            "mindestbestand": D(mindestbestand),
            "aktiv": aktiv,
        }

    low, enough, empty, _without_minimum, _inactive = await insert_rows(
        running,
        "artikel",
        [
            artikel("LOW", "10"),
            artikel("OK", "5"),
            artikel("EMPTY", "3"),
            artikel("NONE", "0"),
            artikel("OFF", "9", False),
        ],
    )

    def charge(artikel_id: int, nummer: str, days: int, status: str = "frei") -> dict[str, Any]:
        return {"artikel_id": artikel_id, "nummer": nummer, "mhd": STICHTAG + timedelta(days=days), "status": status}

    soon, later, blocked, unstocked = await insert_rows(
        running,
        "charge",
        [
            charge(low, "SOON", 10),
            charge(low, "LATER", 40),
            charge(enough, "BLOCKED", 5, "gesperrt"),
            charge(enough, "NOSTOCK", 3),
        ],
    )
    [lager] = await insert_rows(running, "lager", [{"code": "L1", "name": "Haupt", "aktiv": True}])
    [ort] = await insert_rows(running, "lagerort", [{"lager_id": lager, "code": "A", "name": "A", "gesperrt": False}])

    def bestand(artikel_id: int, charge_id: int, menge: str) -> dict[str, Any]:
        return {
            "artikel_id": artikel_id,
            "charge_id": charge_id,
            "lagerort_id": ort,
            "menge": D(menge),
            "reserviert": D(0),
        }

    await insert_rows(
        running,
        "bestand",
        [
            bestand(low, soon, "3"),
            bestand(low, later, "1"),
            bestand(enough, blocked, "8"),
            bestand(enough, unstocked, "0"),
        ],
    )
    return {"low": low, "empty": empty, "soon": soon}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_daily_check_is_idempotent(notifications_app: AppFactory) -> None:
    async with notifications_app(only=INVENTORY) as running:
        scene = await stock_scene(running)
        check = {"stichtag": STICHTAG.isoformat()}

        r = await running.client.post("/api/v1/notifications/check", json=check)
        assert r.status_code == 200, r.text
        assert r.json() == {"stichtag": "2030-06-15", "charge_laeuft_ab": 1, "unter_mindestbestand": 2, "skipped": []}
        items = (await running.client.get("/api/v1/notifications")).json()["items"]
        found = {(n["type"], n["link"]): n for n in items}
        assert set(found) == {
            ("charge.laeuft_ab", f"/api/v1/chargen/{scene['soon']}"),
            ("bestand.unter_mindestbestand", f"/api/v1/artikel/{scene['low']}"),
            ("bestand.unter_mindestbestand", f"/api/v1/artikel/{scene['empty']}"),
        }
        expiring = found[("charge.laeuft_ab", f"/api/v1/chargen/{scene['soon']}")]
        assert expiring["title"] == "Charge SOON expires on 2030-06-25"
        assert expiring["payload"]["tage_bis_mhd"] == 10
        low = found[("bestand.unter_mindestbestand", f"/api/v1/artikel/{scene['low']}")]
        assert low["message"] == "stock 4.000 is below the Mindestbestand of 10.000"

        again = await running.client.post("/api/v1/notifications/check", json=check)
        assert again.json()["charge_laeuft_ab"] == 0 and again.json()["unter_mindestbestand"] == 0
        assert len((await running.client.get("/api/v1/notifications")).json()["items"]) == 3

        # the next day reminds again
        tomorrow = await running.client.post("/api/v1/notifications/check", json={"stichtag": "2030-06-16"})
        assert tomorrow.json()["charge_laeuft_ab"] == 1 and tomorrow.json()["unter_mindestbestand"] == 2


async def test_daily_check_without_inventory_plugins(notifications_app: AppFactory) -> None:
    async with notifications_app() as running:
        r = await running.client.post("/api/v1/notifications/check")
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["charge_laeuft_ab"], body["unter_mindestbestand"]) == (0, 0)
        assert body["skipped"] == ["artikel", "chargen", "lager"]
        assert (await running.as_scope("write").post("/api/v1/notifications/check")).status_code == 403


def test_next_run_time() -> None:
    from datetime import UTC, datetime

    morning = datetime(2030, 6, 15, 5, 30, tzinfo=UTC)
    assert seconds_until(time(6, 0), morning) == 30 * 60
    assert seconds_until(time(6, 0), datetime(2030, 6, 15, 6, 0, tzinfo=UTC)) == 24 * 3600
