"""Fan-out of new notifications to the open event streams.

Without Redis every worker serves its own streams (in-process). With ``redis_url`` a new
notification is published on the channel ``<redis_prefix>notifications`` and every worker's
listener hands it to its streams, so a client sees notifications stored by any worker.

Redis may go away. A notification that cannot be published reaches this worker's streams at
once and is published to the others when Redis answers again (the app's :class:`RedisBreaker`
spares the publishes in between a timeout each). The listener retries its subscription and,
once it is back, replays from the database what was stored after the last message it
received. Either way notifications stored during an outage reach every stream late, not
never, and a stream drops frames it already sent (:class:`SentIds`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from modular_server.plugin import HealthResult

if TYPE_CHECKING:
    from modular_server.plugin import RedisBreaker, ServerSettings

#: the frames stored after a notification id (oldest first), and the newest id stored
FramesAfter = Callable[[int], Awaitable[list[bytes]]]
LatestId = Callable[[], Awaitable[int]]

log = logging.getLogger("modular_server.notifications")

#: messages a slow stream may fall behind by before it loses the oldest
SUBSCRIBER_BUFFER = 256


def frame(notification_id: int, data: bytes) -> bytes:
    """One Server-Sent Events frame; ``data`` is single-line JSON."""
    return b"id: %d\nevent: notification\ndata: %s\n\n" % (notification_id, data)


def frame_id(message: bytes) -> int:
    head = message.split(b"\n", 1)[0]
    return int(head[4:]) if head.startswith(b"id: ") else 0


class SentIds:
    """What one stream has sent: a catch-up after an outage may repeat frames or deliver them
    out of order, and a client gets each notification once. Ids up to ``floor`` count as sent
    (the client's Last-Event-ID); beyond it the last ``size`` ids are remembered."""

    def __init__(self, floor: int = 0, size: int = 4 * SUBSCRIBER_BUFFER) -> None:
        self.floor = floor
        self._order: deque[int] = deque()
        self._ids: set[int] = set()
        self._size = size

    def first_time(self, notification_id: int) -> bool:
        if notification_id <= self.floor or notification_id in self._ids:
            return False
        self._ids.add(notification_id)
        self._order.append(notification_id)
        if len(self._order) > self._size:
            self.floor = max(self.floor, self._order[0])
            self._ids.discard(self._order.popleft())
        return True


class Fanout:
    def __init__(
        self,
        settings: ServerSettings,
        redis: Any,
        breaker: RedisBreaker,
        frames_after: FramesAfter,
        latest_id: LatestId,
    ) -> None:
        self.subscribers: set[asyncio.Queue[bytes | None]] = set()
        self.channel = f"{settings.redis_prefix}notifications"
        self._redis = redis
        self._redis_url = settings.redis_url
        self._breaker = breaker
        self._frames_after = frames_after
        self._latest_id = latest_id
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        #: the subscription is live (False during an outage)
        self.subscribed = False
        #: the newest notification id this worker has received through the subscription
        self.received_up_to = 0
        self.caught_up = 0
        #: frames whose publication failed, published when Redis answers again (bounded: a
        #: stream could not take more than its buffer anyway)
        self._unpublished: deque[bytes] = deque(maxlen=SUBSCRIBER_BUFFER)
        self._publishing = asyncio.Lock()

    @property
    def shared(self) -> bool:
        return self._redis is not None

    def health(self) -> HealthResult:
        if self._redis is None:
            return HealthResult("ok", "this worker's streams only (no redis_url)")
        problems = []
        if not self.subscribed:
            problems.append("Redis subscription down: other workers' notifications arrive after it is back")
        if self._unpublished:
            problems.append(f"{len(self._unpublished)} notifications not yet published to other workers")
        if problems:
            return HealthResult("degraded", "; ".join(problems))
        return HealthResult("ok", f"{len(self.subscribers)} open streams, {self.caught_up} caught up after outages")

    def subscribe(self) -> asyncio.Queue[bytes | None]:
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(SUBSCRIBER_BUFFER)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[bytes | None]) -> None:
        self.subscribers.discard(queue)

    async def publish(self, message: bytes) -> None:
        if self._redis is None:
            self._deliver_local(message)
            return
        self._unpublished.append(message)
        await self._publish_owed()
        if self._unpublished:
            # Redis away: this worker's streams get it now, the other workers once it is back
            self._deliver_local(message)

    async def _publish_owed(self) -> None:
        """Publish, oldest first, what could not be published yet (receivers drop repeats)."""
        async with self._publishing:
            while self._unpublished and self._breaker.reachable():
                try:
                    await self._redis.publish(self.channel, self._unpublished[0])
                except Exception as exc:
                    self._breaker.failed("notifications publish", exc)
                    return
                self._breaker.succeeded()
                self._unpublished.popleft()

    def _deliver_local(self, message: bytes | None) -> None:
        for queue in list(self.subscribers):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)

    async def start(self) -> None:
        if self._redis is None:
            return
        # what is stored from now on is what a later catch-up replays
        self.received_up_to = await self._latest_id()
        self._listener = asyncio.get_running_loop().create_task(self._listen(), name="notifications-fanout")
        # streams opened right after startup must not miss a message published by another worker
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), 5)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        self._deliver_local(None)  # ends every open stream

    async def _listen(self) -> None:
        import redis.asyncio as redis  # the `redis` extra, present whenever redis_url is set

        # a connection of its own: a subscription blocks on reads, the shared pool's calls time out fast
        client = redis.Redis.from_url(self._redis_url, socket_connect_timeout=5, health_check_interval=30)
        lost = False
        try:
            while True:
                try:
                    async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                        await pubsub.subscribe(self.channel)
                        self.subscribed = True
                        self._listening.set()
                        self._breaker.succeeded()
                        if lost:
                            await self._catch_up()
                            await self._publish_owed()
                            lost = False
                        async for message in pubsub.listen():
                            if message.get("type") == "message":
                                self._received(message["data"])
                except (OSError, redis.RedisError) as exc:
                    if self.subscribed:
                        log.warning("notifications: Redis subscription lost, retrying: %s", exc)
                    self.subscribed = False
                    lost = True
                    await asyncio.sleep(1)
        finally:
            self.subscribed = False
            await client.aclose()

    def _received(self, message: bytes) -> None:
        self.received_up_to = max(self.received_up_to, frame_id(message))
        self._deliver_local(message)

    async def _catch_up(self) -> None:
        """Hand this worker's streams what was stored while the subscription was down (the
        streams skip what they sent already, e.g. what this worker stored meanwhile)."""
        try:
            missed = await self._frames_after(self.received_up_to)
        except Exception:
            log.exception("notifications: catching up after the Redis outage failed")
            return
        for message in missed:
            self._received(message)
        self.caught_up += len(missed)
        log.info("notifications: subscription restored, %d notifications caught up", len(missed))
