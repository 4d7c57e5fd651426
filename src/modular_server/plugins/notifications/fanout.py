"""Fan-out of new notifications to the open event streams.

Without Redis every worker serves its own streams (in-process). With ``redis_url`` a new
notification is published on the channel ``<redis_prefix>notifications`` and every worker's
listener hands it to its streams, so a client sees notifications stored by any worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modular_server.settings import Settings

log = logging.getLogger("modular_server.notifications")

#: messages a slow stream may fall behind by before it loses the oldest
SUBSCRIBER_BUFFER = 256


def frame(notification_id: int, data: bytes) -> bytes:
    """One Server-Sent Events frame; ``data`` is single-line JSON."""
    return b"id: %d\nevent: notification\ndata: %s\n\n" % (notification_id, data)


class Fanout:
    def __init__(self, settings: Settings, redis: Any) -> None:
        self.subscribers: set[asyncio.Queue[bytes | None]] = set()
        self.channel = f"{settings.redis_prefix}notifications"
        self._redis = redis
        self._redis_url = settings.redis_url
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    @property
    def shared(self) -> bool:
        return self._redis is not None

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
        try:
            await self._redis.publish(self.channel, message)
        except Exception as exc:  # Redis away: this worker's streams still get it
            log.warning("notifications: publishing to Redis failed (local streams only): %s", exc)
            self._deliver_local(message)

    def _deliver_local(self, message: bytes | None) -> None:
        for queue in list(self.subscribers):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)

    async def start(self) -> None:
        if self._redis is None:
            return
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
        try:
            while True:
                try:
                    async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                        await pubsub.subscribe(self.channel)
                        self._listening.set()
                        async for message in pubsub.listen():
                            if message.get("type") == "message":
                                self._deliver_local(message["data"])
                except (OSError, redis.RedisError) as exc:
                    log.warning("notifications: Redis subscription lost, retrying: %s", exc)
                    await asyncio.sleep(1)
        finally:
            await client.aclose()
