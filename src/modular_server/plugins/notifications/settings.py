"""Settings of the notifications plugin (namespace ``[notifications]`` / ``MODULAR_SERVER_NOTIFICATIONS__*``)."""

from __future__ import annotations

from datetime import time

from pydantic import Field

from modular_server.plugin import PluginSettings


class NotificationsSettings(PluginSettings):
    #: run the daily check (expiring batches, low stock) at daily_check_time; every worker runs
    #: it, which is harmless because storing is idempotent
    daily_check_enabled: bool = True
    #: when the daily check runs, in UTC (``HH:MM[:SS]``); pick an hour before the warehouse
    #: starts work so that the notifications are there in the morning
    daily_check_time: time = time(6, 0)
    #: a free batch whose MHD falls within this many days is reported by the daily check
    ablauf_warnung_tage: int = Field(default=30, ge=0, le=3650)
    #: events waiting to be stored; when full, further events are dropped (and logged)
    queue_size: int = Field(default=10_000, ge=10)
    #: per webhook request (connect, read, write each)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    #: attempts before a delivery is given up (status failed)
    webhook_max_attempts: int = Field(default=8, ge=1, le=100)
    #: first retry after this many seconds, doubling each attempt, at most webhook_backoff_max_seconds
    webhook_backoff_seconds: float = Field(default=5.0, gt=0)
    #: the longest wait between two attempts of a delivery (seconds), however often it failed
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    #: how often the delivery worker looks for due retries (new deliveries wake it at once)
    webhook_poll_seconds: float = Field(default=2.0, gt=0)
    #: deliveries sent at the same time by one worker
    webhook_concurrency: int = Field(default=8, ge=1, le=100)
    #: a comment line keeps idle event streams (and proxies) from timing out
    stream_keepalive_seconds: float = Field(default=15.0, gt=0)
    #: notifications a reconnecting stream replays after its Last-Event-ID
    stream_replay_limit: int = Field(default=100, ge=0, le=1000)
