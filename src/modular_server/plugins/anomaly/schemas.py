"""Request and response bodies of the anomaly plugin."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["stock", "performance"]
Status = Literal["offen", "bestaetigt", "verworfen"]


class AnomalyOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 17,
                    "kind": "stock",
                    "score": 0.71,
                    "threshold": 0.62,
                    "model_key": "artikel:3",
                    "reason": "menge far above this artikel's usual bookings",
                    "features": {"menge": 480.0, "hour": 3.0},
                    "artikel_id": 3,
                    "bewegung_id": 812,
                    "route": None,
                    "window_start": None,
                    "occurred_at": "2026-03-02T03:14:00Z",
                    "detected_at": "2026-03-02T03:14:01Z",
                    "status": "offen",
                    "bemerkung": None,
                    "reviewed_at": None,
                    "reviewed_by": None,
                }
            ]
        },
    )

    id: int
    kind: Kind
    score: float = Field(description="anomaly score in (0, 1]; about 0.5 is ordinary")
    threshold: float = Field(description="the model flags scores above this")
    model_key: str
    reason: str
    features: dict[str, float]
    artikel_id: int | None
    bewegung_id: int | None
    route: str | None
    window_start: datetime | None
    occurred_at: datetime
    detected_at: datetime
    status: Status
    bemerkung: str | None
    reviewed_at: datetime | None
    reviewed_by: str | None


class ReviewIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "bestaetigt", "bemerkung": "Fehlbuchung, mit Lager geklärt"}]},
    )

    status: Literal["bestaetigt", "verworfen"] = Field(
        description="bestaetigt: a real anomaly (left out of training); verworfen: normal after all (kept in training)"
    )
    bemerkung: str | None = Field(default=None, max_length=2000)


class ModelOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "key": "artikel:3",
                    "kind": "stock",
                    "trained_at": "2026-03-01T02:00:00Z",
                    "samples": 240,
                    "contamination": "auto",
                    "threshold": 0.62,
                }
            ]
        },
    )

    key: str = Field(description="artikel:<id>, kategorie:<name> or performance")
    kind: Kind
    trained_at: datetime
    samples: int
    contamination: str
    threshold: float


class TrainIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"rescore": False}]})

    rescore: bool = Field(default=False, description="afterwards, score every past movement with the new models")


JobStatus = Literal["queued", "running", "succeeded", "failed", "interrupted"]


class JobOut(BaseModel):
    """A training job (POST /train answers with it; poll ``GET /jobs/{id}`` until it has ended)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "kind": "train",
                    "status": "succeeded",
                    "phase": "done",
                    "rescore": False,
                    "progress": 1.0,
                    "models_trained": 6,
                    "samples": 1320,
                    "movements_seen": 0,
                    "movements_scored": 0,
                    "anomalies_found": 0,
                    "requested_by": "admin",
                    "created_at": "2026-03-01T02:00:00Z",
                    "started_at": "2026-03-01T02:00:01Z",
                    "finished_at": "2026-03-01T02:00:09Z",
                    "error": None,
                }
            ]
        },
    )

    id: int
    kind: Literal["train"]
    status: JobStatus = Field(description="queued, running, then succeeded, failed or interrupted")
    phase: Literal["queued", "training", "rescoring", "done"] = Field(description="what the job is doing now")
    rescore: bool = Field(description="whether the job scores every past movement after training")
    progress: float = Field(ge=0, le=1, description="share of the work done (training is the first 20 % of a rescore)")
    models_trained: int
    samples: int = Field(description="feature vectors the models were trained on")
    movements_seen: int = Field(description="past movements read by the rescore")
    movements_scored: int = Field(description="of those, movements a model judged")
    anomalies_found: int = Field(description="new anomalies the rescore stored")
    requested_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None = Field(description="why the job failed or was interrupted")
