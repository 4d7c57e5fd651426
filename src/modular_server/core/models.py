"""The core's own tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, LargeBinary, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from modular_server.core.base import Base, UtcDateTime


class ApiKey(Base):
    """An API key; only a SHA-256 digest of the secret is stored."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class IdempotencyRecord(Base):
    """The first response to a request sent with an ``Idempotency-Key``; stored in the same
    transaction as the work, so a retry either replays it or the work never happened."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    principal: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    route: Mapped[str] = mapped_column(String(300))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now(), index=True)


class AuditEntry(Base):
    """Append-only: who changed what, when, in which request. Written in the transaction of
    the change itself, so an audited change without its entry cannot exist."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_table_name_id", "table_name", "id"),
        Index("ix_audit_log_principal_id", "principal", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now(), index=True)
    principal: Mapped[str] = mapped_column(String(100))
    request_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    action: Mapped[str] = mapped_column(String(20))
    table_name: Mapped[str] = mapped_column(String(100))
    row_id: Mapped[str | None] = mapped_column(String(100), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
