"""Settings of the anomaly plugin (namespace ``[anomaly]`` / ``MODULAR_SERVER_ANOMALY__*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from modular_server.plugin import PluginSettings


class AnomalySettings(PluginSettings):
    #: retrain every this many hours (0: only through POST /api/v1/anomalies/train)
    training_interval_hours: float = Field(default=24.0, ge=0)
    #: expected share of anomalies; sets each model's threshold ("auto": the paper's offset)
    contamination: float | Literal["auto"] = Field(default=0.01)
    #: trees per isolation forest: more trees give steadier scores but train and score more
    #: slowly (training time grows linearly); lower it only on a very small machine
    n_estimators: int = Field(default=200, ge=10, le=2000)
    #: movements each tree sees; smaller than scikit-learn's 256 so that a handful of similar
    #: anomalies does not hide each other ("masking")
    max_samples: int = Field(default=128, ge=16, le=4096)
    #: movements used for training: this far back, at most this many (the newest)
    history_days: int = Field(default=365, ge=1)
    #: at most this many movements (the newest within history_days) are read for one training;
    #: bounds the memory and time of a training run, raise it when older patterns matter
    max_training_rows: int = Field(default=200_000, ge=100)
    #: an artikel with this many movements gets a model of its own, others share their kategorie's
    min_samples_artikel: int = Field(default=500, ge=20)
    #: a kategorie (or the artikel without one) needs this many movements for a model
    min_samples_kategorie: int = Field(default=100, ge=20)
    #: hours and weekdays are taken in this time zone (the warehouse's working hours)
    timezone: str = "UTC"
    #: how often completed monitoring windows are scored (while monitoring serves)
    performance_interval_seconds: float = Field(default=300.0, gt=0)
    #: windows with fewer requests are too noisy to judge
    performance_min_requests: int = Field(default=5, ge=1)
    #: performance windows needed for a performance model
    min_samples_performance: int = Field(default=50, ge=20)
    #: a running training job writes its progress and a sign of life this often
    job_heartbeat_seconds: float = Field(default=5.0, gt=0)
    #: a queued or running job without a sign of life for this long has lost its process: it is
    #: marked interrupted (at the next start, or when a new job is requested)
    job_stale_seconds: float = Field(default=120.0, gt=0)
    #: live scoring keeps the recent activity of this many artikel in memory (a few KB each), so
    #: a new movement of one of them needs no history read
    scoring_cache_artikel: int = Field(default=10_000, ge=0)
    #: live scoring waits this long after a commit before its round, so that one round (its
    #: reads, its thread hop, its transaction) serves every movement committed meanwhile; with
    #: 0 every booking of a steady stream paid for a round of its own, several statements and a
    #: transaction on the server next to the booking's. Anomalies show up this much later.
    scoring_delay_seconds: float = Field(default=0.25, ge=0, le=60)
