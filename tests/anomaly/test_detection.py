"""The detector on a generated ledger with injected outliers, end to end through the API:
bulk-loaded movements, training with rescoring, precision and recall; then a live booking
scored after commit, published as anomaly.detected and turned into a notification."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from modular_server.plugins.anomaly.features import WARMUP
from modular_server.testing import BOTH, RunningApp
from tests.anomaly.support import book, models, runtime_of, train, warehouse
from tests.support.apps import AppFactory
from tests.support.rows import insert_rows

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


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_detector_finds_injected_outliers(anomaly_app: AppFactory, backend: str) -> None:
    async with anomaly_app(extra=("notifications",), core={"notifications": {"daily_check_enabled": False}}) as running:
        artikel_ids, ort = await warehouse(running, KATEGORIEN)
        ledger = generate(artikel_ids, ort)
        ids = await insert_rows(running, "lagerbewegung", ledger.rows)
        await runtime_of(running).idle()  # no model yet: the bulk load only moves the scoring position
        assert await all_anomalies(running) == []

        job = await train(running, rescore=True)
        trained = await models(running)
        assert sorted(m["key"] for m in trained) == ["kategorie:Obst", "kategorie:Werkzeug"]
        assert job["models_trained"] == 2
        # each artikel's first ones are not judged
        assert job["samples"] == len(ledger.rows) - WARMUP * len(artikel_ids)
        assert all(m["contamination"] == "0.03" for m in trained)

        flagged = {a["bewegung_id"] for a in await all_anomalies(running, kind="stock")}
        assert job["anomalies_found"] == len(flagged)
        assert job["movements_seen"] == len(ids) and job["movements_scored"] == job["samples"]
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


async def test_movements_booked_while_scoring_was_down_are_scored_at_the_next_start(
    anomaly_app: AppFactory, make_app: AppFactory
) -> None:
    async with anomaly_app() as running:
        artikel_ids, ort = await warehouse(running, KATEGORIEN)
        ledger = generate(artikel_ids, ort)
        await insert_rows(running, "lagerbewegung", ledger.rows)
        job = await train(running, rescore=False)
        assert (job["movements_seen"], job["anomalies_found"]) == (0, 0)
        await runtime_of(running).idle()
        assert await all_anomalies(running) == []

    # the server runs without the anomaly plugin (or was stopped before scoring): bookings go on
    heavy_artikel = artikel_ids[2]
    at = datetime(2026, 9, 1, 10, 30, tzinfo=UTC)
    async with make_app(only=["artikel", "chargen", "lager"]) as without:
        normal = await book(without, heavy_artikel, ort, str(BASES[2]), at)
        outlier = await book(without, heavy_artikel, ort, str(BASES[2] * 40), at.replace(minute=45))

    async with anomaly_app() as restarted:
        await runtime_of(restarted).idle()  # the start catches up from the stored scoring position
        found = await all_anomalies(restarted, artikel_id=heavy_artikel, since="2026-09-01T00:00:00Z")
        assert [a["bewegung_id"] for a in found] == [outlier]
        assert normal not in {a["bewegung_id"] for a in found}
        # scoring used the models trained before the restart (nothing was trained since)
        models = (await restarted.client.get("/api/v1/anomalies/models")).json()["items"]
        assert sorted(m["key"] for m in models) == ["kategorie:Obst", "kategorie:Werkzeug"]
