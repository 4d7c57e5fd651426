"""Tables of the notifications plugin: notifications, webhook targets and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from modular_server.plugin import Base, UtcDateTime

SEVERITIES = ("info", "warning", "critical")
DELIVERY_STATUS = ("pending", "delivered", "failed")
RowId = BigInteger().with_variant(Integer(), "sqlite")


class Notification(Base):
    """One notification per (event type, object, day): ``dedupe_key`` makes storing idempotent."""

    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint(f"severity IN {SEVERITIES}", name="severity_bekannt"),
        # the unread list pages on (gelesen, id)
        Index("ix_notification_gelesen_id", "gelesen", "id"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(10), default="info")
    title: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text, default="")
    #: API path of the object the notification is about (e.g. /api/v1/chargen/7)
    link: Mapped[str | None] = mapped_column(String(500), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    gelesen: Mapped[bool] = mapped_column(Boolean, default=False)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class WebhookTarget(Base):
    """An operator's endpoint; ``event_types`` lists the types it wants (``"*"``: every type)."""

    __tablename__ = "notification_webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    #: the HMAC key; needed in clear to sign, never shown after registration
    secret: Mapped[str] = mapped_column(String(200))
    beschreibung: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class WebhookDelivery(Base):
    """The persisted delivery queue: one row per (notification, target), retried until delivered or failed."""

    __tablename__ = "notification_delivery"
    __table_args__ = (
        CheckConstraint(f"status IN {DELIVERY_STATUS}", name="status_bekannt"),
        # the worker's scan: due pending deliveries, oldest first
        Index("ix_notification_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("notification_webhook.id", ondelete="CASCADE"), index=True)
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification.id", ondelete="SET NULL"), index=True, default=None
    )
    event_type: Mapped[str] = mapped_column(String(100))
    #: the exact bytes sent (UTF-8 JSON), so every retry carries the same signature
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
