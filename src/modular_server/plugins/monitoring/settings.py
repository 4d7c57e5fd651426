"""Settings of the monitoring plugin (namespace ``[monitoring]`` / ``MODULAR_SERVER_MONITORING__*``)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from modular_server.plugin import PluginSettings


class MonitoringSettings(PluginSettings):
    #: a statement slower than this is recorded as a slow query
    slow_query_ms: float = Field(default=200.0, ge=0)
    #: a slow statement (by fingerprint) is logged at most once per this many seconds, the next
    #: line saying how many were left out; the dashboard still records every one (0: log each)
    slow_query_log_interval_seconds: float = Field(default=10.0, ge=0)
    #: the same statement fingerprint more often than this in one request is an N+1 pattern
    n_plus_one_threshold: int = Field(default=5, ge=1)
    #: answer a request that shows an N+1 pattern with a 500 problem (for tests and CI)
    strict_n_plus_one: bool = False
    #: on PostgreSQL, store the generic EXPLAIN plan of slow SELECTs
    explain_slow_queries: bool = True
    #: fraction of slow SELECT fingerprints that get a plan
    explain_sample_rate: float = Field(default=1.0, ge=0, le=1)
    #: a fingerprint is explained at most once per this many seconds (per worker)
    explain_interval_seconds: float = Field(default=600.0, ge=0)
    #: persisted figures older than this are removed by the cleanup job
    retention_days: int = Field(default=7, ge=1, le=3650)
    #: how often each worker persists its aggregates (and pushes them to Redis)
    flush_interval_seconds: float = Field(default=10.0, gt=0)
    #: how often the cleanup job removes figures older than retention_days (seconds); the
    #: figures age by days, so an hourly run is enough and rarely worth changing
    cleanup_interval_seconds: float = Field(default=3600.0, gt=0)
    #: time resolution of the persisted per-route figures (one chart point per bucket)
    bucket_seconds: int = Field(default=300, ge=1, le=86400)
    #: slow queries and N+1 events kept in memory between two flushes (older ones are dropped)
    max_pending_records: int = Field(default=1000, ge=10)
    #: when set, GET /metrics requires ``Authorization: Bearer <metrics_token>``
    metrics_token: SecretStr | None = None
    #: how often the dashboard page reloads its figures (seconds); a longer interval means fewer
    #: requests from open dashboards
    dashboard_refresh_seconds: int = Field(default=10, ge=1, le=3600)
