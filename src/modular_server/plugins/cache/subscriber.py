"""The invalidation channel: other processes' evictions, applied to this process's L1.

A subscription that breaks may have missed messages, so each (re)subscription starts by
dropping the whole L1 and marking every computation in flight stale. Until it is back, this
process cannot learn of other processes' writes (it reports ``degraded``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from modular_server.plugins.cache.settings import CacheSettings

log = logging.getLogger("modular_server.cache")
POLL_SECONDS = 1.0
#: messages applied and confirmed together at most (what has piled up during one round trip)
MAX_BATCH = 256


class Subscriber:
    def __init__(
        self,
        url: str,
        channel: str,
        origin: str,
        settings: CacheSettings,
        apply: Callable[[list[str]], None],
        resync: Callable[[], None],
        acknowledge: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        import redis.asyncio as redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # no read timeout: this connection waits for messages; PINGs find a dead one
        self._client = redis.Redis.from_url(
            url,
            socket_connect_timeout=settings.redis_connect_timeout_ms / 1000,
            health_check_interval=5,
            retry=Retry(NoBackoff(), 0),
        )
        self.channel = channel
        self._origin = origin
        self._retry_seconds = settings.redis_retry_seconds
        self._apply = apply
        self._resync = resync
        self._acknowledge = acknowledge
        self.subscribed = asyncio.Event()
        self.received = 0
        self.failures = 0

    async def run(self) -> None:
        """Subscribe, apply messages until the connection breaks, wait, subscribe again.

        Not a :class:`~modular_server.plugin.Periodic`: it subscribes at once (not after a
        wait), a round lasts as long as its connection, and it waits only after losing one.
        """
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._resync()
                self.subscribed.set()
                while True:
                    message = await pubsub.get_message(timeout=POLL_SECONDS)
                    if message is None:
                        continue
                    # Apply what has arrived since, then confirm it all in one round trip: a
                    # round trip per message took one turn of a busy event loop each, so under
                    # load the acknowledgements fell behind the writes (every write waited out
                    # ack_timeout_ms). Applying is synchronous: nothing is confirmed unapplied.
                    acks = [self._deliver(message)]
                    while len(acks) < MAX_BATCH and (message := await pubsub.get_message(timeout=0)) is not None:
                        acks.append(self._deliver(message))
                    confirm = [key for key in acks if key]
                    if confirm:
                        await self._acknowledge(confirm)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure of the connection: resubscribe later
                self.failures += 1
                if self.subscribed.is_set():
                    log.warning("cache: invalidation channel lost (%s: %s)", type(exc).__name__, exc)
                self.subscribed.clear()
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(self._retry_seconds)

    def _deliver(self, received: dict[str, Any]) -> str | None:
        """Apply one message (this process applied its own already); the key to acknowledge on."""
        if received.get("type") != "message":
            return None
        try:
            message = orjson.loads(received["data"])
            origin, tags, acks = message["o"], message["t"], message.get("a")
        except (orjson.JSONDecodeError, KeyError, TypeError):
            log.warning("cache: ignored a malformed invalidation message")
            return None
        self.received += 1
        if origin != self._origin:
            self._apply(list(tags))
        return acks if isinstance(acks, str) else None

    async def aclose(self) -> None:
        await self._client.aclose()
