"""L2 on the real Redis: several processes (two apps) share it; it may vanish and come back."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis.asyncio as redis

from modular_server.testing import RunningApp, eventually
from modular_server.testing.proxy import TcpProxy
from tests.cache.support import KioskApp, calls, two_processes

pytestmark = pytest.mark.parametrize("level", ["redis"], indirect=True)
K = "/api/v1/kiosk"


async def stats(running: RunningApp) -> dict[str, Any]:
    return (await running.client.get("/api/v1/cache/stats")).json()


async def stored_in_redis(running: RunningApp, count: int) -> None:
    async def check() -> bool:
        return (await stats(running))["redis"]["stores"] >= count

    await eventually(check, f"{count} entries stored in Redis")


async def test_two_processes_share_entries_and_see_each_others_writes(kiosk_app: KioskApp, level: str) -> None:
    async with two_processes(kiosk_app) as (one, two):
        assert (await one.client.get(f"{K}/posten/1")).headers["x-cache"] == "MISS"
        await stored_in_redis(one, 1)
        shared = await two.client.get(f"{K}/posten/1")
        assert shared.headers["x-cache"] == "HIT" and calls(two, "get_posten") == 0
        assert (await two.client.get(f"{K}/posten/1")).headers["x-cache"] == "HIT"
        assert (await stats(two))["hits_by_level"] == {"l1": 1, "l2": 1, "shared": 0}

        # a write on one: the very next read on the other is fresh (its L1 held the old value)
        assert (await one.client.patch(f"{K}/posten/1", json={"status": "gesperrt"})).status_code == 200
        fresh = await two.client.get(f"{K}/posten/1")
        assert fresh.headers["x-cache"] == "MISS" and fresh.json()["status"] == "gesperrt"

        # and the other way round, for a response both hold in L1
        await one.client.get(f"{K}/posten/3")
        await stored_in_redis(one, 2)
        await two.client.get(f"{K}/posten/3")
        assert (await one.client.get(f"{K}/posten/3")).headers["x-cache"] == "HIT"
        assert (await two.client.post(f"{K}/posten/3/vorrat", json={"menge": "1"})).status_code == 201
        again = await one.client.get(f"{K}/posten/3")
        assert again.headers["x-cache"] == "MISS" and len(again.json()["vorrat"]) == 2
        for running in (one, two):
            figures = (await stats(running))["redis"]
            assert figures["acknowledgement_timeouts"] == 0 and figures["failures"] == 0


async def test_stampede_across_processes_runs_the_handler_once(kiosk_app: KioskApp, level: str) -> None:
    async with two_processes(kiosk_app) as (one, two):
        for running in (one, two):
            running.app.state.host.data["kiosk"]["delay"] = 0.05
        answers = await asyncio.gather(
            *(running.client.get(f"{K}/posten/1") for running in (one, two) for _ in range(25))
        )
        assert calls(one, "get_posten") + calls(two, "get_posten") == 1
        assert {a.status_code for a in answers} == {200} and len({a.content for a in answers}) == 1
        assert [a.headers["x-cache"] for a in answers].count("MISS") == 1


async def test_nothing_in_redis_lives_forever(
    kiosk_app: KioskApp, level: str, redis_url: str, redis_prefix: str
) -> None:
    async with kiosk_app(max_ttl_seconds=120) as running:
        for path in ("posten/1", "posten", "sorten/1"):
            await running.client.get(f"{K}/{path}")
        await stored_in_redis(running, 3)
        await running.client.patch(f"{K}/posten/1", json={"status": "gesperrt"})
        client = redis.Redis.from_url(redis_url)
        try:
            keys = [key.decode() async for key in client.scan_iter(match=f"{redis_prefix}*")]
            ttls = {key: await client.ttl(key) for key in keys}
        finally:
            await client.aclose()
    generations = {k: t for k, t in ttls.items() if ":g:" in k}
    assert f"{redis_prefix}cache:g:posten:1" in generations
    assert all(0 < t <= 180 for t in generations.values())
    assert all(0 < t <= 60 for k, t in ttls.items() if ":e:" in k)
    # the one counter every generation is drawn from is the only key without an expiry
    assert [k for k, t in ttls.items() if t < 0] == [f"{redis_prefix}cache:clock"]


async def test_redis_outage_falls_back_to_l1_and_recovers(
    kiosk_app: KioskApp, level: str, redis_url: str, redis_prefix: str
) -> None:
    target = urlsplit(redis_url)
    proxy = await TcpProxy(target.hostname or "127.0.0.1", target.port or 6379).start()
    through_proxy = f"redis://127.0.0.1:{proxy.port}{target.path}"
    try:
        async with kiosk_app(core={"redis_url": through_proxy}, redis_retry_seconds=0.1) as running:
            client = running.client
            before = await client.get(f"{K}/posten/1")
            await stored_in_redis(running, 1)

            await proxy.cut()
            assert (await client.get(f"{K}/posten/1")).headers["x-cache"] == "HIT"  # L1
            assert (await client.get(f"{K}/posten/2")).status_code == 200
            assert (await client.patch(f"{K}/posten/1", json={"status": "gesperrt"})).status_code == 200
            during = await client.get(f"{K}/posten/1")
            assert during.status_code == 200 and during.json()["status"] == "gesperrt"
            assert (await client.get(f"{K}/posten/2")).headers["x-cache"] == "HIT"
            ready = (await client.get("/health/ready")).json()
            assert ready["checks"]["cache.redis"]["status"] == "degraded"
            assert ready["status"] == "degraded"
            figures = (await stats(running))["redis"]
            assert figures["available"] is False and figures["failures"] > 0
            assert figures["owed_invalidations"] > 0 and figures["subscribed"] is False

            await proxy.restore()

            async def healthy() -> bool:
                ready = (await client.get("/health/ready")).json()
                return ready["checks"]["cache.redis"]["status"] == "ok"

            await eventually(healthy, "the cache is healthy again")
            figures = (await stats(running))["redis"]
            assert figures["available"] is True and figures["owed_invalidations"] == 0
            # resubscribed: L1 started afresh (it may have missed other processes' writes)
            assert (await client.get(f"{K}/posten/2")).headers["x-cache"] == "MISS"

        # the invalidation owed during the outage reached Redis: the entry stored before the
        # outage is never served, not even by a process that reads Redis directly
        async with kiosk_app(seeded=False) as other:
            after = await other.client.get(f"{K}/posten/1")
            assert after.headers["x-cache"] == "MISS" and after.json()["status"] == "gesperrt"
            assert after.content != before.content
    finally:
        await proxy.cut()
