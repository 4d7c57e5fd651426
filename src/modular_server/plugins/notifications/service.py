"""Writes of the notifications plugin: storing notifications (idempotently), read flags,
webhook targets and the delivery queue."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import DomainEvent
from modular_server.plugins.notifications import catalogue, queries
from modular_server.plugins.notifications.models import Notification, WebhookDelivery, WebhookTarget
from modular_server.plugins.notifications.schemas import WebhookIn
from modular_server.plugins.notifications.settings import NotificationsSettings

MAX_ERROR_LENGTH = 500


#: the webhook targets, kept in ``session.info`` for the rest of its transaction
_TARGETS = "notifications.webhook_targets"


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- notifications -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stored:
    """A newly stored notification and whether webhook deliveries were queued for it."""

    notification: Notification
    deliveries: int


async def store(session: AsyncSession, event: DomainEvent) -> Stored | None:
    """Store ``event`` as a notification unless one with its dedupe key exists (then None).

    The insert skips duplicates in the database (ON CONFLICT DO NOTHING), so two workers
    storing the same fact concurrently still end with one row. Deliveries to every webhook
    target that wants the event's type are queued in the same transaction.
    """
    occurred = event.occurred_at if event.occurred_at.tzinfo else event.occurred_at.replace(tzinfo=UTC)
    payload = orjson.loads(orjson.dumps(event.payload, default=str))  # JSON-safe (dates, Decimals)
    rendered = catalogue.describe(event.type, payload, occurred.astimezone(UTC).date())
    values: dict[str, Any] = {
        "type": event.type[:100],
        "severity": event.severity,
        "title": rendered.title,
        "message": rendered.message,
        "link": rendered.link,
        "payload": payload,
        "dedupe_key": rendered.dedupe_key,
        "gelesen": False,
        "occurred_at": occurred,
    }
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    # RETURNING the whole row (with the server's id and created_at): no SELECT after the INSERT
    statement = (
        insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Notification)
    )
    notification = await session.scalar(statement)
    if notification is None:
        return None
    deliveries = await _queue_deliveries(session, notification)
    return Stored(notification, deliveries)


def delivery_body(notification: Notification) -> str:
    from modular_server.plugins.notifications.schemas import NotificationOut

    return NotificationOut.model_validate(notification).model_dump_json()


async def _queue_deliveries(session: AsyncSession, notification: Notification) -> int:
    # read once per transaction: a transaction that stores many events asks for them once
    every = session.info.get(_TARGETS)
    if every is None:
        every = session.info[_TARGETS] = await queries.webhook_targets(session)
    targets = [t for t in every if wants(t, notification.type)]
    if not targets:
        return 0
    body = delivery_body(notification)
    now = utcnow()
    session.add_all(
        WebhookDelivery(
            target_id=target.id,
            notification_id=notification.id,
            event_type=notification.type,
            body=body,
            status="pending",
            attempts=0,
            next_attempt_at=now,
        )
        for target in targets
    )
    await session.flush()
    return len(targets)


def wants(target: WebhookTarget, event_type: str) -> bool:
    return "*" in target.event_types or event_type in target.event_types


async def mark_read(session: AsyncSession, notification_id: int) -> Notification:
    notification = await queries.get_notification(session, notification_id)
    notification.gelesen = True
    await session.flush()
    return notification


async def mark_all_read(session: AsyncSession) -> int:
    result = await session.execute(update(Notification).where(Notification.gelesen.is_(False)).values(gelesen=True))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- webhooks ------------------------------------------------------------------------------


async def create_webhook(session: AsyncSession, body: WebhookIn) -> WebhookTarget:
    target = WebhookTarget(
        url=str(body.url),
        event_types=sorted(set(body.event_types)),
        secret=body.secret or secrets.token_urlsafe(32),
        beschreibung=body.beschreibung,
    )
    session.add(target)
    await session.flush()
    return target


async def delete_webhook(session: AsyncSession, target_id: int) -> None:
    await queries.get_webhook_target(session, target_id)
    # explicit rather than relying on ON DELETE CASCADE: SQLite enforces it only with foreign_keys=ON
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.target_id == target_id))
    await session.execute(delete(WebhookTarget).where(WebhookTarget.id == target_id))


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this worker may send now; nobody else sends it until ``lease_until``."""

    id: int
    attempts: int
    event_type: str
    body: str
    url: str
    secret: str


async def claim_due(session: AsyncSession, limit: int, lease: timedelta) -> list[Claimed]:
    """Take up to ``limit`` due deliveries: one guarded UPDATE pushes their next attempt past the
    lease, so a second worker scanning at the same moment skips them; a worker that dies
    mid-send leaves them to be retried when the lease ends."""
    now = utcnow()
    due = await queries.due_deliveries(session, now, limit)
    if not due:
        return []
    claimed = await session.scalars(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id.in_(due),
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + lease, attempts=WebhookDelivery.attempts + 1)
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(claimed)
    if not ids:
        return []
    rows = await session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.attempts,
            WebhookDelivery.event_type,
            WebhookDelivery.body,
            WebhookTarget.url,
            WebhookTarget.secret,
        )
        .join(WebhookTarget, WebhookTarget.id == WebhookDelivery.target_id)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.id)
    )
    return [Claimed(*row) for row in rows]


def backoff(settings: NotificationsSettings, attempts: int) -> timedelta:
    seconds = settings.webhook_backoff_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.webhook_backoff_max_seconds))


async def record_outcome(
    session: AsyncSession,
    delivery: Claimed,
    settings: NotificationsSettings,
    *,
    status_code: int | None,
    error: str | None,
) -> str:
    """Store the result of one attempt; returns the delivery's new status."""
    now = utcnow()
    values: dict[str, Any] = {
        "last_status_code": status_code,
        "last_error": error[:MAX_ERROR_LENGTH] if error else None,
    }
    if error is None:
        values.update(status="delivered", delivered_at=now)
    elif delivery.attempts >= settings.webhook_max_attempts:
        values.update(status="failed")
    else:
        values.update(next_attempt_at=now + backoff(settings, delivery.attempts))
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return str(values.get("status", "pending"))
