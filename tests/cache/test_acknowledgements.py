"""Acknowledgements keep up with the writes of other processes while this one is busy: what
arrived during one turn of the event loop is applied and confirmed in one round trip (one
round trip per message fell behind under load, and every write waited out ack_timeout_ms)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import redis

from modular_server.testing.waiting import eventually
from tests.cache.support import KioskApp

MESSAGES = 40


@pytest.mark.parametrize("level", ["redis"], indirect=True)
async def test_messages_that_piled_up_are_confirmed_together(kiosk_app: KioskApp, redis_url: str) -> None:
    async with kiosk_app() as running:
        cache = running.app.state.host.data["cache"]
        subscriber, remote = cache.subscriber, cache.remote
        confirmed: list[list[str]] = []
        acknowledge = subscriber._acknowledge

        async def recording(keys: list[str]) -> None:
            confirmed.append(keys)
            await acknowledge(keys)

        subscriber._acknowledge = recording
        received = subscriber.received
        peer = redis.Redis.from_url(redis_url)
        keys = [f"{remote.prefix}ack:peer:{n}" for n in range(MESSAGES)]
        try:
            # published while this event loop is blocked (a synchronous client): the messages
            # pile up as they do behind a busy loop's other work
            for key in keys:
                peer.publish(remote.channel, orjson.dumps({"o": "peer", "t": ["sorte:1"], "a": key}))
            await eventually(lambda: _applied(subscriber, received + MESSAGES), "every message applied")
            await eventually(lambda: _all_confirmed(peer, keys), "every message confirmed")
            assert sorted(k for batch in confirmed for k in batch) == sorted(keys)
            assert len(confirmed) <= 2, [len(batch) for batch in confirmed]
        finally:
            peer.delete(*keys)
            peer.close()


async def _applied(subscriber: Any, count: int) -> bool:
    return subscriber.received == count


async def _all_confirmed(client: redis.Redis, keys: list[str]) -> bool:
    return all(client.llen(key) == 1 for key in keys)
