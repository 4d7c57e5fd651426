"""The detector on a generated ledger with injected outliers, end to end through the API:
bulk-loaded movements, training with rescoring, precision and recall; then a live booking
scored after commit, published as anomaly.detected and turned into a notification."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugins.anomaly.features import WARMUP
from modular_server.plugins.lager.models import Lagerbewegung
from modular_server.testing import BOTH, RunningApp

from .conftest import AppFactory, insert_rows, runtime_of, warehouse
from .dataset import BASES, generate

KATEGORIEN = ["Obst"] * 6 + ["Werkzeug"] * 6


async def all_anomalies(running: RunningApp, **filters: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 200, **filters}
    while True:
        r = await running.client.get("/api/v1/anomalies", params=params)
        assert r.status_code == 200, r.text
        found += r.json()["items"]
        if not (cursor := r.json()["next_cursor"]):
            return found
        params["cursor"] = cursor


async def book(running: RunningApp, artikel_id: int, ort: int, menge: str, at: datetime) -> int:
    """One movement through the ORM (reported to observers with its primary key)."""

    async def work(session: AsyncSession) -> int:
        movement = Lagerbewegung(
            typ="ausgang",
            artikel_id=artikel_id,
            von_lagerort_id=ort,
            menge=Decimal(menge),
            created_at=at,
            created_by="t",
        )
        session.add(movement)
        await session.flush()
        return movement.id

    return await running.app.state.db.transaction(work)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_detector_finds_injected_outliers(anomaly_app: AppFactory, backend: str) -> None:
    async with anomaly_app(extra=("notifications",), core={"notifications": {"daily_check_enabled": False}}) as running:
        artikel_ids, ort = await warehouse(running, KATEGORIEN)
        ledger = generate(artikel_ids, ort)
        ids = await insert_rows(running, "lagerbewegung", ledger.rows)
        await runtime_of(running).idle()  # no model yet: the bulk load only moves the scoring position
        assert await all_anomalies(running) == []

        r = await running.client.post("/api/v1/anomalies/train", json={"rescore": True})
        assert r.status_code == 200, r.text
        trained = r.json()
        assert sorted(m["key"] for m in trained["models"]) == ["kategorie:Obst", "kategorie:Werkzeug"]
        assert trained["samples"] == len(ledger.rows) - WARMUP * len(
            artikel_ids
        )  # each artikel's first ones are not judged
        assert all(m["contamination"] == "0.03" for m in trained["models"])

        flagged = {a["bewegung_id"] for a in await all_anomalies(running, kind="stock")}
        assert trained["new_anomalies"] == len(flagged)
        injected = {ids[i] for i in ledger.outliers}
        hits = len(flagged & injected)
        precision, recall = hits / len(flagged), hits / len(injected)
        print(
            f"\n[anomaly/{backend}] {len(ids)} movements, {len(injected)} injected outliers, {len(flagged)} flagged: "
            f"precision {precision:.2f}, recall {recall:.2f}"
        )
        assert recall >= 0.8 and precision >= 0.5

        # a live booking is scored after commit, off the request path
        heavy_artikel = artikel_ids[2]
        at = datetime(2026, 9, 1, 10, 30, tzinfo=UTC)  # a Tuesday morning
        normal = await book(running, heavy_artikel, ort, str(BASES[2]), at)
        outlier = await book(running, heavy_artikel, ort, str(BASES[2] * 40), at.replace(minute=45))
        await runtime_of(running).idle()
        live = await all_anomalies(running, artikel_id=heavy_artikel, since="2026-09-01T00:00:00Z")
        assert [a["bewegung_id"] for a in live] == [outlier]
        assert normal not in flagged
        assert re.match(r"quantity \d\dx the usual for this article", live[0]["reason"]), live[0]["reason"]
        assert live[0]["score"] > live[0]["threshold"]

        # published as anomaly.detected: the notifications plugin stores it with a link
        await running.app.state.host.data["notifications"].drained()
        notes = (await running.client.get("/api/v1/notifications", params={"limit": 1})).json()["items"]
        assert notes[0]["type"] == "anomaly.detected"
        assert notes[0]["link"] == f"/api/v1/anomalies/{live[0]['id']}"
        assert notes[0]["title"] == f"Anomaly: {live[0]['reason']}"
