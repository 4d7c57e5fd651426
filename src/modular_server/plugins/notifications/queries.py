"""Every SELECT of the notifications plugin over its own tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import NotFound, PageRequest
from modular_server.plugins.notifications.models import Notification, WebhookDelivery, WebhookTarget

NOTIFICATIONS_CURSOR = "notifications"
DELIVERIES_CURSOR = "notifications.deliveries"


async def notifications_page(
    session: AsyncSession, page: PageRequest, *, ungelesen: bool = False
) -> tuple[list[Notification], str | None]:
    """Newest first (keyset on id descending)."""
    stmt = select(Notification).order_by(Notification.id.desc())
    if ungelesen:
        stmt = stmt.where(Notification.gelesen.is_(False))
    after = page.after(NOTIFICATIONS_CURSOR)
    if after is not None:
        stmt = stmt.where(Notification.id < after[0])
    rows = (await session.scalars(stmt.limit(page.limit + 1))).all()
    return page.page(NOTIFICATIONS_CURSOR, rows, lambda n: (n.id,))


async def notifications_after(session: AsyncSession, last_id: int, limit: int) -> Sequence[Notification]:
    """What a reconnecting stream missed, oldest first."""
    stmt = select(Notification).where(Notification.id > last_id).order_by(Notification.id).limit(limit)
    return (await session.scalars(stmt)).all()


async def latest_notification_id(session: AsyncSession) -> int:
    return (await session.scalar(select(func.max(Notification.id)))) or 0


async def get_notification(session: AsyncSession, notification_id: int) -> Notification:
    found = await session.get(Notification, notification_id)
    if found is None:
        raise NotFound("notification", notification_id)
    return found


async def webhook_targets(session: AsyncSession) -> Sequence[WebhookTarget]:
    return (await session.scalars(select(WebhookTarget).order_by(WebhookTarget.id))).all()


async def get_webhook_target(session: AsyncSession, target_id: int) -> WebhookTarget:
    found = await session.get(WebhookTarget, target_id)
    if found is None:
        raise NotFound("webhook", target_id)
    return found


async def deliveries_page(
    session: AsyncSession, page: PageRequest, target_id: int
) -> tuple[list[WebhookDelivery], str | None]:
    stmt = select(WebhookDelivery).where(WebhookDelivery.target_id == target_id).order_by(WebhookDelivery.id.desc())
    after = page.after(DELIVERIES_CURSOR)
    if after is not None:
        stmt = stmt.where(WebhookDelivery.id < after[0])
    rows = (await session.scalars(stmt.limit(page.limit + 1))).all()
    return page.page(DELIVERIES_CURSOR, rows, lambda d: (d.id,))


async def due_deliveries(session: AsyncSession, now: datetime, limit: int) -> Sequence[int]:
    stmt = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()
