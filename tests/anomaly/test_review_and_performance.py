"""Reviewing anomalies (kept for retraining), the model list, filters, and operational
anomalies over the monitoring plugin's route windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modular_server.testing import BOTH
from tests.anomaly.support import models, runtime_of, train, warehouse
from tests.support.apps import AppFactory
from tests.support.rows import insert_rows

from .dataset import generate


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_review_is_kept_for_retraining(anomaly_app: AppFactory, backend: str) -> None:
    async with anomaly_app() as running:
        artikel_ids, ort = await warehouse(running, ["Obst", "Obst"])
        await insert_rows(running, "lagerbewegung", generate(artikel_ids, ort).rows)
        first = await train(running, rescore=True)
        [model] = await models(running)
        assert model["key"] == "kategorie:Obst" and first["anomalies_found"] >= 2
        assert model["samples"] == first["samples"]
        assert (running.app.state.settings.data_dir / "anomaly").is_dir()

        found = (await running.client.get("/api/v1/anomalies", params={"kind": "stock"})).json()["items"]
        real, harmless = found[0], found[1]
        r = await running.client.post(f"/api/v1/anomalies/{real['id']}/bestaetigen", json={"status": "bestaetigt"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "bestaetigt" and r.json()["reviewed_by"] == "test-admin"
        r = await running.client.post(
            f"/api/v1/anomalies/{harmless['id']}/bestaetigen", json={"status": "verworfen", "bemerkung": "Sonderaktion"}
        )
        assert r.json()["status"] == "verworfen" and r.json()["bemerkung"] == "Sonderaktion"
        r = await running.client.post(f"/api/v1/anomalies/{real['id']}/bestaetigen", json={"status": "verworfen"})
        assert r.status_code == 409
        r = await running.client.post("/api/v1/anomalies/999999/bestaetigen", json={"status": "verworfen"})
        assert r.status_code == 404

        # the confirmed anomaly is left out of the next training; the dismissed one stays in
        await train(running)
        [again] = await models(running)
        assert again["samples"] == model["samples"] - 1
        assert again["trained_at"] > model["trained_at"]
        assert len(list((running.app.state.settings.data_dir / "anomaly").glob("*.joblib"))) == 1  # old file removed

        # filters and one SELECT per page
        top = max(a["score"] for a in found)
        strongest = (await running.client.get("/api/v1/anomalies", params={"min_score": top})).json()["items"]
        assert [a["score"] for a in strongest] == [top]
        assert (await running.client.get("/api/v1/anomalies", params={"kind": "performance"})).json()["items"] == []
        assert (await running.client.get("/api/v1/anomalies", params={"status": "bestaetigt"})).json()["items"][0][
            "id"
        ] == real["id"]
        with running.count_statements() as sql:
            assert (
                await running.client.get("/api/v1/anomalies", params={"artikel_id": artikel_ids[0]})
            ).status_code == 200
        assert sql.count == (2 if backend == "sqlite" else 1)

        assert (await running.as_scope("write").post("/api/v1/anomalies/train")).status_code == 403
        assert (await running.as_scope("read").get("/api/v1/anomalies/models")).status_code == 200


def window(start: datetime, route: str, requests: int, latency_ms: float, statements: int) -> dict[str, Any]:
    seconds = latency_ms / 1000
    return {
        "bucket_start": start,
        "worker": "w1",
        "method": "GET",
        "route": route,
        "requests": requests,
        "client_errors": 0,
        "server_errors": 0,
        "statements": statements * requests,
        "max_statements": statements,
        "db_time_us": 0,
        "cache_hits": 0,
        "cache_misses": 0,
        "n_plus_one": 0,
        "slow_queries": 0,
        "latency": {"counts": {"40": requests}, "sum": seconds * requests, "min": seconds, "max": seconds},
    }


async def test_performance_windows_are_scored(anomaly_app: AppFactory) -> None:
    monitoring = {"monitoring": {"flush_interval_seconds": 3600}}
    async with anomaly_app(extra=("monitoring",), core=monitoring, contamination=0.01) as running:
        start = (datetime.now(UTC) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
        rows = []
        for step in range(80):
            at = start + timedelta(minutes=5 * step)
            rows.append(window(at, "/api/v1/artikel", 20 + step % 7, 12 + step % 5, 2))
            rows.append(window(at, "/api/v1/chargen", 10 + step % 3, 30 + step % 4, 3))
        slow_at = start + timedelta(minutes=5 * 81)
        rows.append(window(slow_at, "/api/v1/artikel", 22, 280, 2))
        rows.append(window(slow_at, "/api/v1/chargen", 11, 31, 40))
        await insert_rows(running, "monitoring_route_window", rows)

        await train(running)
        assert "performance" in [m["key"] for m in await models(running)]
        assert await runtime_of(running).score_performance() == 2
        assert await runtime_of(running).score_performance() == 0  # the position moved on

        found = (await running.client.get("/api/v1/anomalies", params={"kind": "performance"})).json()["items"]
        reasons = {a["route"]: a["reason"] for a in found}
        assert reasons["GET /api/v1/artikel"].startswith("mean latency 20x the usual for GET /api/v1/artikel")
        assert reasons["GET /api/v1/chargen"] == "40 statements per request on GET /api/v1/chargen, usually 3"
        assert {a["window_start"][:16] for a in found} == {slow_at.isoformat()[:16]}
