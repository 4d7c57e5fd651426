"""Tables of the anomaly plugin: found anomalies, trained models (metadata; the estimators
themselves are joblib files under ``<data_dir>/anomaly``), scoring positions and training jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Float, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from modular_server.plugin import Base, UtcDateTime

KINDS = ("stock", "performance")
STATUS = ("offen", "bestaetigt", "verworfen")
JOB_STATUS = ("queued", "running", "succeeded", "failed", "interrupted")
#: a job in one of these holds its kind's slot (the partial unique index below)
JOB_ACTIVE = ("queued", "running")
RowId = BigInteger().with_variant(Integer(), "sqlite")


class Anomaly(Base):
    """A movement (kind ``stock``) or a route window (kind ``performance``) the detector flagged.

    ``status`` is the operator's verdict: confirmed anomalies are left out of later training,
    dismissed ones stay in it as normal behaviour.
    """

    __tablename__ = "anomaly"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS}", name="kind_bekannt"),
        CheckConstraint(f"status IN {STATUS}", name="status_bekannt"),
        Index("ix_anomaly_kind_id", "kind", "id"),
        Index("ix_anomaly_artikel_id_id", "artikel_id", "id"),
        Index("ix_anomaly_detected_at", "detected_at"),
        Index("uq_anomaly_route_window_start", "route", "window_start", unique=True),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    #: the model's threshold when it was flagged (score > threshold)
    threshold: Mapped[float] = mapped_column(Float)
    model_key: Mapped[str] = mapped_column(String(200))
    features: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500))
    # no foreign keys: anomalies outlive movements' plugins being disabled, and must not block them
    artikel_id: Mapped[int | None] = mapped_column(Integer, default=None)
    #: one anomaly per movement at most (a rescore or a second worker adds nothing)
    bewegung_id: Mapped[int | None] = mapped_column(BigInteger, unique=True, default=None)
    #: ``METHOD route`` and window start of a performance anomaly; unique per window
    route: Mapped[str | None] = mapped_column(String(320), default=None)
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    #: when the flagged thing happened (the movement's time, the window's start)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    status: Mapped[str] = mapped_column(String(20), default="offen")
    bemerkung: Mapped[str | None] = mapped_column(Text, default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    reviewed_by: Mapped[str | None] = mapped_column(String(100), default=None)


class AnomalyModel(Base):
    """One trained IsolationForest: per artikel, per kategorie, or the performance model."""

    __tablename__ = "anomaly_model"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: file name under <data_dir>/anomaly
    file: Mapped[str] = mapped_column(String(300))
    trained_at: Mapped[datetime] = mapped_column(UtcDateTime())
    samples: Mapped[int] = mapped_column(Integer)
    contamination: Mapped[str] = mapped_column(String(20))
    threshold: Mapped[float] = mapped_column(Float)
    #: feature statistics of the training data, used to explain a score in plain words
    stats: Mapped[dict[str, Any]] = mapped_column(JSON)


class ScoringPosition(Base):
    """How far scoring got: the last movement id, the last performance window (epoch seconds)."""

    __tablename__ = "anomaly_position"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)


class AnomalyJob(Base):
    """One training run (with its optional rescoring), started by POST /train or the schedule.

    At most one job per ``kind`` is queued or running, on every worker and instance: the partial
    unique index ``uq_anomaly_job_active`` refuses a second one (SQLite and PostgreSQL alike).
    ``owner`` (host, pid, a per-start token) and ``heartbeat_at`` tell whether the process
    running it is still there; a job whose owner is gone is marked ``interrupted``.
    """

    __tablename__ = "anomaly_job"
    __table_args__ = (
        CheckConstraint(f"status IN {JOB_STATUS}", name="status_bekannt"),
        Index(
            "uq_anomaly_job_active",
            "kind",
            unique=True,
            sqlite_where=text(f"status IN {JOB_ACTIVE}"),
            postgresql_where=text(f"status IN {JOB_ACTIVE}"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: what the job does; one active job per kind (today only "train")
    kind: Mapped[str] = mapped_column(String(20), default="train")
    status: Mapped[str] = mapped_column(String(20), default="queued")
    #: what the job is doing now: queued, training, rescoring, done
    phase: Mapped[str] = mapped_column(String(20), default="queued")
    rescore: Mapped[bool] = mapped_column(Boolean, default=False)
    #: share of the work done, 0..1
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    models_trained: Mapped[int] = mapped_column(Integer, default=0)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    movements_seen: Mapped[int] = mapped_column(BigInteger, default=0)
    movements_scored: Mapped[int] = mapped_column(BigInteger, default=0)
    anomalies_found: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str | None] = mapped_column(String(100), default=None)
    owner: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
