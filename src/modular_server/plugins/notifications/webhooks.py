"""The webhook delivery worker: signed POSTs from the persisted queue, retried with
exponential backoff, never on the request path.

Each delivery runs as its own task under an overall timeout, so a hanging target holds one
of ``webhook_concurrency`` slots for at most that long and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugins.notifications import service
from modular_server.plugins.notifications.models import WebhookDelivery

if TYPE_CHECKING:
    from modular_server.plugin import Database
    from modular_server.plugins.notifications.settings import NotificationsSettings

log = logging.getLogger("modular_server.notifications")

SIGNATURE_HEADER = "X-Modular-Signature"
EVENT_HEADER = "X-Modular-Event"
DELIVERY_HEADER = "X-Modular-Delivery"


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the body>``; receivers compare it in constant time."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class DeliveryWorker:
    def __init__(self, db: Database, settings: NotificationsSettings) -> None:
        self.db = db
        self.settings = settings
        # connect, read, write and pool each get the timeout; the whole request gets twice that
        self.request_timeout = 2 * settings.webhook_timeout_seconds
        self.lease = timedelta(seconds=self.request_timeout + 30)
        self._wake = asyncio.Event()
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._client: httpx.AsyncClient | None = None
        self._loop_task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.settings.webhook_timeout_seconds, follow_redirects=False)
        self._loop_task = asyncio.get_running_loop().create_task(self._run(), name="notifications-webhooks")

    async def stop(self) -> None:
        """Stop sending; deliveries cut off mid-send become due again at once (not after the lease)."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        interrupted = list(self._inflight)
        for task in self._inflight.values():
            task.cancel()
        await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        if interrupted:
            await self.db.transaction(lambda session: _release(session, interrupted))
        if self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._send_due()
            except Exception as exc:  # database away: try again on the next round
                log.warning("notifications: scanning deliveries failed: %s: %s", type(exc).__name__, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.webhook_poll_seconds)

    async def _send_due(self) -> None:
        free = self.settings.webhook_concurrency - len(self._inflight)
        if free <= 0:
            return
        claimed = await self.db.transaction(lambda session: service.claim_due(session, free, self.lease))
        loop = asyncio.get_running_loop()
        for delivery in claimed:
            task = loop.create_task(self._deliver(delivery), name=f"webhook-delivery-{delivery.id}")
            self._inflight[delivery.id] = task
            task.add_done_callback(lambda _t, key=delivery.id: self._inflight.pop(key, None))

    async def _deliver(self, delivery: service.Claimed) -> None:
        assert self._client is not None
        body = delivery.body.encode()
        headers = {
            "content-type": "application/json",
            "user-agent": "modular-server-webhooks",
            EVENT_HEADER: delivery.event_type,
            DELIVERY_HEADER: str(delivery.id),
            SIGNATURE_HEADER: sign(delivery.secret, body),
        }
        status_code: int | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self.request_timeout):
                response = await self._client.post(delivery.url, content=body, headers=headers)
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except TimeoutError:
            error = f"no complete answer within {self.request_timeout:g}s"
        except httpx.TimeoutException as exc:
            error = f"{type(exc).__name__}: no answer within {self.settings.webhook_timeout_seconds:g}s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        settings = self.settings
        outcome = await self.db.transaction(
            lambda session: service.record_outcome(session, delivery, settings, status_code=status_code, error=error)
        )
        if outcome == "pending":
            # come back when the retry is due, without waiting for the next poll
            asyncio.get_running_loop().call_later(
                service.backoff(settings, delivery.attempts).total_seconds(), self.wake
            )
        elif outcome == "failed":
            log.warning(
                "notifications: delivery %d given up after %d attempts: %s", delivery.id, delivery.attempts, error
            )


async def _release(session: AsyncSession, ids: list[int]) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids), WebhookDelivery.status == "pending")
        .values(next_attempt_at=service.utcnow())
        .execution_options(synchronize_session=False)
    )
