"""Tables of the monitoring plugin. No row ever holds a parameter value: statements are
stored as fingerprints, plans are generic plans (placeholders, not values)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from modular_server.plugin import Base, UtcDateTime

RowId = BigInteger().with_variant(Integer(), "sqlite")


class RouteWindow(Base):
    """One worker's figures for one route template during one time bucket."""

    __tablename__ = "monitoring_route_window"
    __table_args__ = (UniqueConstraint("bucket_start", "worker", "method", "route"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    # the unique index (bucket_start first) also serves range scans and the retention delete
    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime())
    worker: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(10))
    route: Mapped[str] = mapped_column(String(300))
    requests: Mapped[int] = mapped_column(Integer, default=0)
    client_errors: Mapped[int] = mapped_column(Integer, default=0)
    server_errors: Mapped[int] = mapped_column(Integer, default=0)
    statements: Mapped[int] = mapped_column(BigInteger, default=0)
    max_statements: Mapped[int] = mapped_column(Integer, default=0)
    db_time_us: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_hits: Mapped[int] = mapped_column(Integer, default=0)
    cache_misses: Mapped[int] = mapped_column(Integer, default=0)
    n_plus_one: Mapped[int] = mapped_column(Integer, default=0)
    slow_queries: Mapped[int] = mapped_column(Integer, default=0)
    #: the latency histogram (see histogram.Histogram.to_json)
    latency: Mapped[dict[str, Any]] = mapped_column(JSON)


class SlowQuery(Base):
    __tablename__ = "monitoring_slow_query"

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    worker: Mapped[str] = mapped_column(String(40))
    method: Mapped[str | None] = mapped_column(String(10))
    route: Mapped[str | None] = mapped_column(String(300))
    fingerprint: Mapped[str] = mapped_column(Text)
    fingerprint_hash: Mapped[str] = mapped_column(String(16))
    duration_us: Mapped[int] = mapped_column(BigInteger)
    dialect: Mapped[str] = mapped_column(String(20))
    plan: Mapped[Any | None] = mapped_column(JSON, default=None)
    #: why there is no plan (not a SELECT, not sampled, SQLite, EXPLAIN failed: ...)
    plan_note: Mapped[str | None] = mapped_column(String(300), default=None)


class NPlusOne(Base):
    """One request in which one fingerprint ran more often than the threshold."""

    __tablename__ = "monitoring_n_plus_one"

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    worker: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(10))
    route: Mapped[str] = mapped_column(String(300))
    fingerprint: Mapped[str] = mapped_column(Text)
    fingerprint_hash: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer)
