"""HTTP endpoints of the notifications plugin: /api/v1/notifications."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import StreamingResponse

from modular_server.plugin import Page, Pagination, ReadSession, host_of, requires_scope
from modular_server.plugins.notifications import queries, service
from modular_server.plugins.notifications.fanout import SentIds, frame_id
from modular_server.plugins.notifications.runtime import NotificationsRuntime
from modular_server.plugins.notifications.schemas import (
    CheckIn,
    CheckOut,
    DeliveryOut,
    GelesenOut,
    NotificationOut,
    WebhookCreated,
    WebhookIn,
    WebhookList,
    WebhookOut,
)

STREAM_EXAMPLE = (
    'retry: 3000\n: connected\n\nid: 31\nevent: notification\ndata: {"id": 31, "type": "charge.gesperrt", ...}\n\n'
)

PREFIX = "/api/v1/notifications"
router = APIRouter(prefix=PREFIX, tags=["notifications"])


def _runtime(request: Request) -> NotificationsRuntime:
    return host_of(request).data["notifications"]


@router.get("", summary="Notifications, newest first (keyset on id)")
async def list_notifications(session: ReadSession, page: Pagination, ungelesen: bool = False) -> Page[NotificationOut]:
    rows, cursor = await queries.notifications_page(session, page, ungelesen=ungelesen)
    return Page(items=[NotificationOut.model_validate(n) for n in rows], next_cursor=cursor)


@router.post("/gelesen", summary="Mark every notification as read")
async def mark_all_read(request: Request) -> GelesenOut:
    return GelesenOut(gelesen=await request.app.state.db.transaction(service.mark_all_read))


@router.post("/{notification_id}/gelesen", summary="Mark one notification as read")
async def mark_read(request: Request, notification_id: int) -> NotificationOut:
    async def work(session: AsyncSession) -> NotificationOut:
        return NotificationOut.model_validate(await service.mark_read(session, notification_id))

    return await request.app.state.db.transaction(work)


SSE_EVENT_SCHEMA = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "id": {"type": "string", "description": "the notification id (send it back as Last-Event-ID)"},
        "event": {"type": "string", "enum": ["notification"]},
        "retry": {"type": "integer"},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"$ref": "#/components/schemas/NotificationOut"},
        },
    },
}


@router.get(
    "/stream",
    summary="Server-Sent Events: every new notification as `event: notification` (JSON data, id = notification id)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "an endless text/event-stream (keepalive comments in between)",
            # OpenAPI 3.1 reading of an event stream: the schema describes each event
            "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA, "example": STREAM_EXAMPLE}},
        }
    },
)
async def stream(
    request: Request,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0)] = None,
) -> StreamingResponse:
    runtime = _runtime(request)
    keepalive = runtime.settings.stream_keepalive_seconds
    replay_limit = runtime.settings.stream_replay_limit

    async def events() -> AsyncIterator[bytes]:
        async with runtime.subscription() as queue:
            # subscribed before the replay query: nothing stored meanwhile is lost
            sent = SentIds(floor=last_event_id or 0)
            yield b"retry: 3000\n: connected\n\n"
            if last_event_id is not None and replay_limit:
                for message in await runtime.frames_after(last_event_id):
                    if sent.first_time(frame_id(message)):
                        yield message
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), keepalive)
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                if message is None:  # the server shuts down
                    return
                if sent.first_time(frame_id(message)):
                    yield message

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"cache-control": "no-cache", "x-accel-buffering": "no"}
    )


@router.post("/check", summary="Run the daily check now (expiring batches, low stock); idempotent")
@requires_scope("admin")
async def run_check(request: Request, body: CheckIn | None = None) -> CheckOut:
    return await _runtime(request).run_daily_check(body.stichtag if body else None)


# --- webhooks (admin) ----------------------------------------------------------------------


@router.get("/webhooks", summary="Registered webhook targets (secrets are never shown)")
@requires_scope("admin")
async def list_webhooks(session: ReadSession) -> WebhookList:
    targets = await queries.webhook_targets(session)
    return WebhookList(items=[WebhookOut.model_validate(t) for t in targets])


@router.post("/webhooks", status_code=201, summary="Register a webhook target for some event types")
@requires_scope("admin")
async def create_webhook(request: Request, body: WebhookIn) -> WebhookCreated:
    async def work(session: AsyncSession) -> WebhookCreated:
        target = await service.create_webhook(session, body)
        return WebhookCreated(**WebhookOut.model_validate(target).model_dump(), secret=target.secret)

    return await request.app.state.db.transaction(work)


@router.delete("/webhooks/{target_id}", status_code=204, summary="Remove a webhook target and its deliveries")
@requires_scope("admin")
async def delete_webhook(request: Request, target_id: int) -> Response:
    await request.app.state.db.transaction(lambda session: service.delete_webhook(session, target_id))
    return Response(status_code=204)


@router.get("/webhooks/{target_id}/deliveries", summary="Deliveries to one target, newest first")
@requires_scope("admin")
async def list_deliveries(session: ReadSession, page: Pagination, target_id: int) -> Page[DeliveryOut]:
    await queries.get_webhook_target(session, target_id)
    rows, cursor = await queries.deliveries_page(session, page, target_id)
    return Page(items=[DeliveryOut.model_validate(d) for d in rows], next_cursor=cursor)
