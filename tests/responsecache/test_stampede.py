"""Stampede protection: concurrent misses of one key run the handler once - in one process
(single flight) and across two processes sharing Redis (a short lock, the others poll L2)."""

from __future__ import annotations

import asyncio

import pytest

from tests.responsecache.conftest import LEVELS, CacheApp, two_instances
from tests.responsecache.probe import probe_state

ITEM = "/api/v1/probe/items/7"


@pytest.mark.parametrize("level", LEVELS, indirect=True)
async def test_fifty_concurrent_misses_run_the_handler_once(cache_app: CacheApp) -> None:
    async with cache_app() as running:
        probe_state(running.app)["delay"] = 0.2
        responses = await asyncio.gather(*(running.client.get(ITEM) for _ in range(50)))
        assert {r.status_code for r in responses} == {200}
        assert len({r.content for r in responses}) == 1
        assert [r.headers["x-cache"] for r in responses].count("MISS") == 1
        assert probe_state(running.app)["calls"] == 1
        stats = running.app.state.host.data["cache"].stats()
        assert (stats["hits"], stats["misses"], stats["in_flight"]) == (49, 1, 0)


@pytest.mark.parametrize("level", ["redis"], indirect=True)
async def test_concurrent_misses_in_two_processes_run_the_handler_once(cache_app: CacheApp) -> None:
    async with two_instances(cache_app) as (first, second, (one, two)):
        for running in (first, second):
            probe_state(running.app)["delay"] = 0.2
        responses = await asyncio.gather(*(client.get(ITEM) for _ in range(25) for client in (one, two)))
        assert {r.status_code for r in responses} == {200}
        assert len({r.content for r in responses}) == 1
        assert probe_state(first.app)["calls"] + probe_state(second.app)["calls"] == 1


async def test_a_write_during_the_flight_is_not_hidden_by_it(cache_app: CacheApp) -> None:
    async with cache_app() as running:
        state = probe_state(running.app)
        state["release"] = release = asyncio.Event()
        leader = asyncio.ensure_future(running.client.get(ITEM))
        await state["entered"].wait()  # the leader's handler has read version 1
        state["version"] = 2
        running.app.state.host.data["cache"].invalidate({"item:7"})  # what a commit does
        follower = asyncio.ensure_future(running.client.get(ITEM))
        # the follower came after the invalidation: instead of joining the leader's flight (whose
        # result predates the write) it runs the handler itself, while the leader is still held
        for _ in range(200):
            if state["calls"] == 2:
                break
            await asyncio.sleep(0.005)
        assert state["calls"] == 2 and not leader.done()
        release.set()
        assert (await leader).json()["version"] == 1
        assert (await follower).json()["version"] == 2
        assert (await running.client.get(ITEM)).json()["version"] == 2
