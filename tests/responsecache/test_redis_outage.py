"""Redis away mid-test (a TCP proxy cut): no error response, degraded health, L1 keeps
working and invalidating; after the restore Redis is used again and health is ok."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from modular_server.testing.proxy import TcpProxy
from tests.responsecache.conftest import CacheApp
from tests.responsecache.probe import probe_state

ITEM = "/api/v1/probe/items/1"


async def _health(running: Any) -> str:
    return (await running.client.get("/health/ready")).json()["checks"]["cache.redis"]["status"]


@pytest.mark.parametrize("level", ["redis"], indirect=True)
async def test_redis_cut_and_restored(cache_app: CacheApp, redis_url: str) -> None:
    target = make_url(redis_url)
    async with TcpProxy(target.host or "127.0.0.1", target.port or 6379) as proxy:
        proxied = f"redis://127.0.0.1:{proxy.port}/{target.database}"
        async with cache_app(redis_url=proxied, cache={"redis_retry_seconds": 0.05}) as running:
            cache = running.app.state.host.data["cache"]
            assert (await running.client.get(ITEM)).headers["x-cache"] == "MISS"
            assert await _health(running) == "ok"

            await proxy.cut()
            answers = [await running.client.get(ITEM) for _ in range(3)]
            assert [a.status_code for a in answers] == [200, 200, 200]
            assert answers[-1].headers["x-cache"] == "HIT"  # L1 alone
            assert await _health(running) == "degraded"
            stats = (await running.client.get("/api/v1/cache/stats")).json()
            assert stats["redis"]["state"] == "down" and stats["redis"]["errors"] >= 1

            # invalidation still works locally and is remembered for Redis
            probe_state(running.app)["version"] = 2
            invalidated = await running.client.post("/api/v1/cache/invalidate", json={"tags": ["item:1"]})
            assert invalidated.status_code == 200 and invalidated.json()["shared"] is False
            assert (await running.client.get(ITEM)).json()["version"] == 2

            await proxy.restore()
            for _ in range(100):
                if await _health(running) == "ok":
                    break
                await asyncio.sleep(0.02)
            assert await _health(running) == "ok"
            assert cache.remote.pending == 0  # the remembered invalidation reached Redis
            answer = await running.client.get(ITEM)
            assert answer.status_code == 200 and answer.json()["version"] == 2
