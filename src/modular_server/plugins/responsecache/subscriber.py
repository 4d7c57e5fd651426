"""Pub/sub: invalidations made by other processes evict this process's L1 at once.

Freshness does not depend on it (an L1 hit is checked against the tag versions in Redis);
it keeps L1 free of dead entries. A lost subscription may have missed messages, so every
re-subscription clears L1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable

log = logging.getLogger("modular_server.cache")


class Subscriber:
    def __init__(
        self,
        redis_url: str,
        channel: str,
        origin: str,
        on_tags: Callable[[list[str]], None],
        on_resubscribed: Callable[[], None],
        retry_seconds: float,
    ) -> None:
        self.redis_url = redis_url
        self.channel = channel
        self.origin = origin
        self.on_tags = on_tags
        self.on_resubscribed = on_resubscribed
        self.retry_seconds = retry_seconds
        self.listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._listen(), name="cache-invalidations")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), 2)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _listen(self) -> None:
        import redis.asyncio as redis  # the `redis` extra, present whenever redis_url is set

        # a connection of its own: a subscription blocks on reads, the shared pool times out fast
        client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=2, health_check_interval=5)
        subscribed_before = False
        try:
            while True:
                try:
                    async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                        await pubsub.subscribe(self.channel)
                        if subscribed_before:
                            self.on_resubscribed()
                        subscribed_before = True
                        self.listening.set()
                        async for message in pubsub.listen():
                            if message.get("type") == "message":
                                self._handle(message["data"])
                except (OSError, redis.RedisError) as exc:
                    self.listening.clear()
                    log.warning("cache: invalidation subscription lost, retrying: %s", exc)
                    await asyncio.sleep(self.retry_seconds)
        finally:
            await client.aclose()

    def _handle(self, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("cache: ignoring a malformed invalidation message")
            return
        if message.get("o") != self.origin:
            self.on_tags(list(message.get("t", ())))
