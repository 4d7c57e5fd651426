"""The catalogue and the events agree: a real event of every catalogued type, raised by the
plugin that owns it, renders with all its values (no "?", no field the payload lacks)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugins.anomaly.service import Finding, store_findings
from modular_server.plugins.notifications.catalogue import KINDS, describe, fields_of
from modular_server.plugins.reservierungen.service import expire
from modular_server.testing import BOTH, RunningApp
from tests.fakes import spy
from tests.inventory.world import build_world
from tests.notifications.support import FAST, runtime_of

ALL = ["artikel", "chargen", "lager", "reservierungen", "notifications", "anomaly"]


async def _raise_every_event_type(running: RunningApp) -> None:
    """Each catalogued event through the code that really raises it."""
    client = running.client
    w = await build_world(client)  # MEHL-405: mindestbestand 5; CH-2 expires in 100 days
    await w.eingang("8")
    assert (await w.ausgang("4")).status_code == 201  # bestand.unter_mindestbestand
    first = await w.post("/api/v1/reservierungen", {"artikel_id": w.artikel, "menge": "2"})  # angelegt
    rid = first["items"][0]["id"]
    await w.post(f"/api/v1/reservierungen/{rid}/erfuellen", {"menge": "1"}, 200)  # erfuellt
    await w.post(f"/api/v1/reservierungen/{rid}/stornieren", {}, 200)  # storniert
    later = datetime.now(UTC) + timedelta(hours=1)
    await w.post("/api/v1/reservierungen", {"artikel_id": w.artikel, "menge": "1", "gueltig_bis": later.isoformat()})

    async def overdue(session: AsyncSession) -> None:
        assert len(await expire(session, now=later + timedelta(seconds=1))) == 1  # abgelaufen

    await running.app.state.db.transaction(overdue)
    await w.eingang("1", charge=w.chargen[2])
    stichtag = (date.today() + timedelta(days=95)).isoformat()
    melden = await client.post("/api/v1/chargen/ablaufend/melden", json={"tage": 10, "stichtag": stichtag})
    assert melden.json()["gemeldet"] == 1  # charge.laeuft_ab
    await w.post(f"/api/v1/chargen/{w.chargen[1]}/sperren", {}, 200)  # no grund
    await w.post(f"/api/v1/chargen/{w.chargen[1]}/freigeben", {"grund": "Laborbefund in Ordnung"}, 200)
    await w.post(f"/api/v1/chargen/{w.chargen[1]}/rueckruf", {"grund": "Fremdkörper"}, 200)
    finding = Finding(
        kind="stock",
        score=4.2,
        threshold=3.0,
        model_key="artikel:1",
        features={"menge_abweichung": 4.2},
        reason="Ausgang of 400 kg is 12 times the usual quantity",
        occurred_at=datetime.now(UTC),
        artikel_id=w.artikel,
    )

    async def detected(session: AsyncSession) -> None:
        assert await store_findings(session, [finding]) == 1  # anomaly.detected

    await running.app.state.db.transaction(detected)
    await runtime_of(running).drained()


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_every_catalogued_event_type_renders_with_its_values(make_app) -> None:
    async with make_app([spy], only=ALL, notifications=FAST) as running:
        await _raise_every_event_type(running)
        events = [e for e in spy.seen(running.app)["events"] if e.type in KINDS]
        assert {e.type for e in events} == set(KINDS), "raise a real event of every catalogued type"
        for event in events:
            kind = KINDS[event.type]
            present = {name for name, value in event.payload.items() if value is not None}
            needed = fields_of(kind.title) | fields_of(kind.link or "") | {kind.object_field}
            assert needed <= present, (event.type, needed - present)
            assert fields_of(kind.message) <= set(event.payload) or kind.message_otherwise, event.type
            rendered = describe(event.type, event.payload, date.today())
            assert "?" not in rendered.title + rendered.message, (event.type, rendered)
            assert rendered.message and rendered.link, (event.type, rendered)

        stored = (await running.client.get("/api/v1/notifications", params={"limit": 100})).json()["items"]
        by_type = {}
        for note in stored:
            by_type.setdefault(note["type"], []).append(note)
        assert set(by_type) == set(KINDS)
        assert all("?" not in n["title"] + n["message"] for n in stored)
        (angelegt,) = [n for n in by_type["reservierung.angelegt"] if n["payload"]["menge"] == "2.000"]
        rid = angelegt["payload"]["reservierung_id"]
        assert angelegt["title"] == f"Reservierung {rid} created"
        assert angelegt["link"] == f"/api/v1/reservierungen?anfrage_id={angelegt['payload']['anfrage_id']}"
        (blocked,) = by_type["charge.gesperrt"]
        assert blocked["message"] == "no reason given"  # a null grund is not shown as "?"
        (released,) = by_type["charge.freigegeben"]
        assert released["message"] == "Grund: Laborbefund in Ordnung"
