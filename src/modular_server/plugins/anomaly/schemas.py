"""Request and response bodies of the anomaly plugin."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["stock", "performance"]
Status = Literal["offen", "bestaetigt", "verworfen"]


class AnomalyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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
    model_config = ConfigDict(extra="forbid")

    status: Literal["bestaetigt", "verworfen"] = Field(
        description="bestaetigt: a real anomaly (left out of training); verworfen: normal after all (kept in training)"
    )
    bemerkung: str | None = Field(default=None, max_length=2000)


class ModelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str = Field(description="artikel:<id>, kategorie:<name> or performance")
    kind: Kind
    trained_at: datetime
    samples: int
    contamination: str
    threshold: float


class TrainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rescore: bool = Field(default=False, description="afterwards, score every past movement with the new models")


JobStatus = Literal["queued", "running", "succeeded", "failed", "interrupted"]


class JobOut(BaseModel):
    """A training job (POST /train answers with it; poll ``GET /jobs/{id}`` until it has ended)."""

    model_config = ConfigDict(from_attributes=True)

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
