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


class TrainOut(BaseModel):
    models: list[ModelOut]
    samples: int
    new_anomalies: int
