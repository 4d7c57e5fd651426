"""Request and response bodies of the notifications plugin."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

Severity = Literal["info", "warning", "critical"]


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    type: str
    severity: Severity
    title: str
    message: str
    link: str | None
    payload: dict[str, Any]
    gelesen: bool
    occurred_at: datetime
    created_at: datetime


class GelesenOut(BaseModel):
    gelesen: int = Field(description="notifications newly marked as read")


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl
    event_types: list[str] = Field(min_length=1, max_length=100, description='event types, or ["*"] for every type')
    secret: str | None = Field(
        default=None, min_length=16, max_length=200, description="HMAC key; generated when omitted"
    )
    beschreibung: str | None = Field(default=None, max_length=300)


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    event_types: list[str]
    beschreibung: str | None
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="shown only now: verify X-Modular-Signature with it")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    target_id: int
    notification_id: int | None
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stichtag: date | None = Field(default=None, description="check as of this day instead of today (UTC)")


class CheckOut(BaseModel):
    stichtag: date
    charge_laeuft_ab: int = Field(description="new notifications about expiring batches")
    unter_mindestbestand: int = Field(description="new notifications about low stock")
    skipped: list[str] = Field(description="checks not run because the owning plugin is not serving")
