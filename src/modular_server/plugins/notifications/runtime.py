"""The plugin's runtime object (``host_of(app).data["notifications"]``): the event queue and
its worker, the stream fan-out, the webhook worker and the daily check."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import TYPE_CHECKING

from modular_server.plugin import DomainEvent, Periodic, host_of
from modular_server.plugins.notifications import daily, queries, service
from modular_server.plugins.notifications.fanout import Fanout, frame
from modular_server.plugins.notifications.schemas import CheckOut, NotificationOut
from modular_server.plugins.notifications.webhooks import DeliveryWorker

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncSession

    from modular_server.plugins.notifications.settings import NotificationsSettings

log = logging.getLogger("modular_server.notifications")
#: queued events stored in one transaction at most
STORE_BATCH = 500


class NotificationsRuntime:
    def __init__(self, app: FastAPI, settings: NotificationsSettings) -> None:
        self.app = app
        self.settings = settings
        self.db = app.state.db
        self.events: asyncio.Queue[DomainEvent] = asyncio.Queue(settings.queue_size)
        self.dropped = 0
        self.fanout = Fanout(
            app.state.settings, app.state.redis, app.state.redis_breaker, self.frames_after, self.latest_id
        )
        self.webhooks = DeliveryWorker(self.db, settings)
        self._tasks: list[asyncio.Task[None]] = []
        #: every day at ``daily_check_time`` (UTC)
        self.daily_check = Periodic(
            lambda: daily.seconds_until(settings.daily_check_time),
            self.run_daily_check,
            name="daily check",
            plugin="notifications",
            host=host_of(app),
        )

    # --- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.fanout.start()
        self.webhooks.start()
        loop = asyncio.get_running_loop()
        # own contexts: background statements are never attributed to the request that spawned them
        self._tasks.append(loop.create_task(self._store_events(), context=contextvars.Context()))
        if self.settings.daily_check_enabled:
            self.daily_check.start()

    async def stop(self) -> None:
        """Store what is queued (the host's shutdown timeout bounds this), then stop the workers."""
        try:
            await self.drained()
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.daily_check.stop()
            await self.webhooks.stop()
            await self.fanout.stop()

    # --- events ----------------------------------------------------------------------------

    def offer(self, event: DomainEvent) -> None:
        """Called by the observer: O(1), never waits."""
        try:
            self.events.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            log.error("notifications: queue full (%d), dropped event %s", self.events.maxsize, event.type)

    async def drained(self) -> None:
        """Wait until every queued event is stored (tests, shutdown)."""
        await self.events.join()

    async def _store_events(self) -> None:
        """Store what is queued, up to STORE_BATCH events in one transaction: a burst of events
        (a rescoring job's anomalies, a batch booking's) was one transaction each."""
        while True:
            taken = [await self.events.get()]
            while len(taken) < STORE_BATCH and not self.events.empty():
                taken.append(self.events.get_nowait())
            try:
                await self._store_taken(taken)
            finally:
                for _ in taken:
                    self.events.task_done()

    async def _store_taken(self, events: list[DomainEvent]) -> None:
        try:
            await self.store(events)
        except Exception:
            if len(events) == 1:
                log.exception("notifications: storing event %s failed", events[0].type)
                return
            # one event that cannot be stored must not cost the others theirs
            for event in events:
                await self._store_taken([event])

    async def store(self, events: Sequence[DomainEvent]) -> int:
        """Store ``events`` in one transaction; new notifications go to the streams and webhooks.

        Returns how many were new (the others were already stored under their dedupe key).
        """

        async def work(session: AsyncSession) -> list[service.Stored]:
            stored = [await service.store(session, event) for event in events]
            return [s for s in stored if s is not None]

        new = await self.db.transaction(work)
        for stored in new:
            body = NotificationOut.model_validate(stored.notification).model_dump_json().encode()
            await self.fanout.publish(frame(stored.notification.id, body))
        if any(s.deliveries for s in new):
            self.webhooks.wake()
        return len(new)

    # --- daily check -----------------------------------------------------------------------

    async def run_daily_check(self, stichtag: date | None = None) -> CheckOut:
        day = stichtag or daily.today()
        host = host_of(self.app)
        counts = {daily.CHARGE_LAEUFT_AB: 0, daily.UNTER_MINDESTBESTAND: 0}
        chunks: list[tuple[str, AsyncIterator[list[DomainEvent]]]] = [
            (daily.CHARGE_LAEUFT_AB, daily.expiring_batches(self.app, day, self.settings.ablauf_warnung_tage)),
            (daily.UNTER_MINDESTBESTAND, daily.low_stock(self.app, day)),
        ]
        for event_type, found in chunks:
            async for events in found:
                counts[event_type] += await self.store(events)
        skipped = [name for name in ("artikel", "chargen", "lager") if not host.is_serving(name)]
        result = CheckOut(
            stichtag=day,
            charge_laeuft_ab=counts[daily.CHARGE_LAEUFT_AB],
            unter_mindestbestand=counts[daily.UNTER_MINDESTBESTAND],
            skipped=skipped,
        )
        log.info("notifications: daily check %s: %s", day.isoformat(), result.model_dump(mode="json"))
        return result

    # --- streams ---------------------------------------------------------------------------

    async def frames_after(self, notification_id: int) -> list[bytes]:
        """Stream frames of what was stored after ``notification_id``, oldest first (at most
        ``stream_replay_limit``): a reconnecting client's replay, a resubscribed worker's catch-up."""
        async with self.db.session() as session:
            missed = await queries.notifications_after(session, notification_id, self.settings.stream_replay_limit)
            return [frame(n.id, NotificationOut.model_validate(n).model_dump_json().encode()) for n in missed]

    async def latest_id(self) -> int:
        async with self.db.session() as session:
            return await queries.latest_notification_id(session)

    @contextlib.asynccontextmanager
    async def subscription(self) -> AsyncIterator[asyncio.Queue[bytes | None]]:
        queue = self.fanout.subscribe()
        try:
            yield queue
        finally:
            self.fanout.unsubscribe(queue)
