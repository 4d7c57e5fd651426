"""Helpers of the anomaly tests: settings for small, fast models; training; seeding movements."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugins.anomaly.runtime import AnomalyRuntime
from modular_server.plugins.lager.models import Lagerbewegung
from modular_server.testing import RunningApp
from tests.support.rows import insert_rows

INVENTORY = ["artikel", "chargen", "lager"]
#: small, fast models; no schedules in the way of the tests
FAST = {
    "training_interval_hours": 0,
    "n_estimators": 100,
    "contamination": 0.03,
    "history_days": 3650,
    "min_samples_kategorie": 50,
}


def runtime_of(running: RunningApp) -> AnomalyRuntime:
    return running.app.state.host.data["anomaly"]


async def train(running: RunningApp, **body: Any) -> dict[str, Any]:
    """POST /train (202 and a job to poll), wait for the job, and return it as polled: succeeded."""
    r = await running.client.post("/api/v1/anomalies/train", json=body)
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/api/v1/anomalies/jobs/{r.json()['id']}"
    assert r.json()["status"] in ("queued", "running")
    await runtime_of(running).jobs_done()
    polled = await running.client.get(r.headers["location"])
    assert polled.status_code == 200, polled.text
    job = polled.json()
    assert job["status"] == "succeeded" and job["phase"] == "done" and job["progress"] == 1.0, job
    return job


async def models(running: RunningApp) -> list[dict[str, Any]]:
    r = await running.client.get("/api/v1/anomalies/models")
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def warehouse(running: RunningApp, kategorien: list[str]) -> tuple[list[int], int]:
    """Artikel (one per kategorie entry) and one Lagerort; returns (artikel ids, lagerort id)."""
    [stk] = await insert_rows(
        running, "einheit", [{"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": 1}]
    )
    artikel = [
        {
            "nummer": f"A-{i}",
            "name": f"Artikel {i}",
            "kategorie": kategorie,
            "einheit_id": stk,
            "chargenpflicht": False,
            "mindestbestand": Decimal(0),
            "aktiv": True,
        }
        for i, kategorie in enumerate(kategorien)
    ]
    artikel_ids = await insert_rows(running, "artikel", artikel)
    [lager] = await insert_rows(running, "lager", [{"code": "L1", "name": "Haupt", "aktiv": True}])
    [ort] = await insert_rows(running, "lagerort", [{"lager_id": lager, "code": "A", "name": "A", "gesperrt": False}])
    return artikel_ids, ort


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
