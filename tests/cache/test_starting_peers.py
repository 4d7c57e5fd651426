"""A write does not warn about a late acknowledgement from a process that is still
starting (its L1 is empty until it looks up a response); a late serving process still warns."""

from __future__ import annotations

import logging

import pytest
import redis.asyncio as redis

from modular_server.testing.waiting import eventually
from tests.cache.support import KioskApp

WARNING = "not every process confirmed an invalidation"


@pytest.mark.parametrize("level", ["redis"], indirect=True)
async def test_only_a_late_serving_process_is_warned_about(kiosk_app: KioskApp, redis_url: str, caplog) -> None:
    async with kiosk_app(ack_timeout_ms=20) as running:
        remote = running.app.state.host.data["cache"].remote
        starting_key = f"{remote.prefix}starting"
        peer = redis.Redis.from_url(redis_url)
        # a peer process that subscribed and is busy starting: it receives, it does not acknowledge
        silent = peer.pubsub()
        await silent.subscribe(remote.channel)
        try:
            # this app looked up a response already: it is no longer listed as starting
            assert (await running.client.get("/api/v1/kiosk/posten")).status_code == 200
            await eventually(lambda: _not_starting(peer, starting_key), "this app no longer listed as starting")

            await peer.hset(starting_key, "peer", "9" * 10)  # far future: still starting
            with caplog.at_level(logging.DEBUG, logger="modular_server.cache"):
                assert (await running.client.post("/api/v1/kiosk/sorten", json={"name": "a"})).status_code == 201
            assert WARNING not in caplog.text
            assert "starting process(es) acknowledge late" in caplog.text
            assert remote.ack_timeouts == 0

            await peer.hdel(starting_key, "peer")  # it serves now: a late acknowledgement matters
            caplog.clear()
            assert (await running.client.post("/api/v1/kiosk/sorten", json={"name": "b"})).status_code == 201
            assert WARNING in caplog.text
            assert remote.ack_timeouts == 1
        finally:
            await silent.aclose()
            await peer.aclose()


@pytest.mark.parametrize("level", ["redis"], indirect=True)
async def test_a_process_is_listed_as_starting_until_its_first_lookup(kiosk_app: KioskApp, redis_url: str) -> None:
    async with kiosk_app() as running:
        remote = running.app.state.host.data["cache"].remote
        peer = redis.Redis.from_url(redis_url)
        try:
            assert await peer.hkeys(f"{remote.prefix}starting") == [remote.origin.encode()]
            assert (await running.client.get("/api/v1/kiosk/posten")).status_code == 200
            await eventually(lambda: _not_starting(peer, f"{remote.prefix}starting"), "listed as starting no more")
        finally:
            await peer.aclose()


async def _not_starting(client: redis.Redis, key: str) -> bool:
    return await client.hkeys(key) == []
