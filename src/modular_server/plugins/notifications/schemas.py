"""Request and response bodies of the notifications plugin."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

Severity = Literal["info", "warning", "critical"]

NOTIFICATION_EXAMPLE = {
    "id": 31,
    "type": "charge.zurueckgerufen",
    "severity": "critical",
    "title": "Charge L2026-0815 recalled",
    "message": "2 open reservations, 5 outgoing movements affected",
    "link": "/api/v1/chargen/4",
    "payload": {"charge_id": 4, "artikel_id": 1, "nummer": "L2026-0815", "grund": "Fremdkörper"},
    "gelesen": False,
    "occurred_at": "2026-03-04T07:45:00Z",
    "created_at": "2026-03-04T07:45:01Z",
}
WEBHOOK_EXAMPLE = {
    "id": 2,
    "url": "https://erp.example.de/hooks/lager",
    "event_types": ["charge.zurueckgerufen", "bestand.unter_mindestbestand"],
    "beschreibung": "ERP: Rückrufe und Nachbestellungen",
    "created_at": "2026-03-01T12:00:00Z",
}


def _examples(*values: object) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(values)})


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [NOTIFICATION_EXAMPLE]})

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
    model_config = _examples({"gelesen": 12})

    gelesen: int = Field(description="notifications newly marked as read")


class WebhookIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": WEBHOOK_EXAMPLE["url"],
                    "event_types": WEBHOOK_EXAMPLE["event_types"],
                    "beschreibung": WEBHOOK_EXAMPLE["beschreibung"],
                }
            ]
        },
    )

    url: AnyHttpUrl
    event_types: list[str] = Field(min_length=1, max_length=100, description='event types, or ["*"] for every type')
    secret: str | None = Field(
        default=None, min_length=16, max_length=200, description="HMAC key; generated when omitted"
    )
    beschreibung: str | None = Field(default=None, max_length=300)


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [WEBHOOK_EXAMPLE]})

    id: int
    url: str
    event_types: list[str]
    beschreibung: str | None
    created_at: datetime


class WebhookCreated(WebhookOut):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{**WEBHOOK_EXAMPLE, "secret": "q7Xr2mVb9LkT4wZs8NcY1pHf"}]},
    )

    secret: str = Field(description="shown only now: verify X-Modular-Signature with it")


class WebhookList(BaseModel):
    """All targets in one list (there are few); ``next_cursor`` is always null."""

    model_config = _examples({"items": [WEBHOOK_EXAMPLE], "next_cursor": None})

    items: list[WebhookOut]
    next_cursor: None = None


class DeliveryOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 88,
                    "target_id": 2,
                    "notification_id": 31,
                    "event_type": "charge.zurueckgerufen",
                    "status": "delivered",
                    "attempts": 1,
                    "next_attempt_at": "2026-03-04T07:45:01Z",
                    "last_status_code": 204,
                    "last_error": None,
                    "created_at": "2026-03-04T07:45:01Z",
                    "delivered_at": "2026-03-04T07:45:02Z",
                }
            ]
        },
    )

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
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"stichtag": "2026-03-02"}]})

    stichtag: date | None = Field(default=None, description="check as of this day instead of today (UTC)")


class CheckOut(BaseModel):
    model_config = _examples(
        {"stichtag": "2026-03-02", "charge_laeuft_ab": 3, "unter_mindestbestand": 1, "skipped": []}
    )

    stichtag: date
    charge_laeuft_ab: int = Field(description="new notifications about expiring batches")
    unter_mindestbestand: int = Field(description="new notifications about low stock")
    skipped: list[str] = Field(description="checks not run because the owning plugin is not serving")
