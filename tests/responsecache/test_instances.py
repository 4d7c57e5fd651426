"""Two app instances (two processes' worth of state) sharing one database and one Redis:
a write acknowledged by one is never followed by a stale read from the other."""

from __future__ import annotations

import asyncio

import pytest

from modular_server.testing import BOTH
from tests.responsecache.conftest import CacheApp, two_instances
from tests.responsecache.probe import probe_state

V1 = "/api/v1"


@pytest.mark.parametrize("level", ["redis"], indirect=True)
@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_write_on_one_instance_is_seen_by_the_next_read_on_the_other(cache_app: CacheApp) -> None:
    async with two_instances(cache_app, inventory=True) as (_first, _second, (one, two)):
        einheit = (
            await one.post(f"{V1}/einheiten", json={"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": 1})
        ).json()
        artikel = (
            await one.post(f"{V1}/artikel", json={"nummer": "A-1", "name": "Apfel", "einheit_id": einheit["id"]})
        ).json()
        detail, listing = f"{V1}/artikel/{artikel['id']}", f"{V1}/artikel"
        for client in (one, two):
            for path in (detail, listing):
                await client.get(path)
                assert (await client.get(path)).headers["x-cache"] == "HIT"
        for round_, (writer, reader) in enumerate([(one, two), (two, one)] * 3):
            name = f"Apfel {round_}"
            assert (await writer.patch(detail, json={"name": name})).status_code == 200
            # immediately: no waiting for pub/sub - the tag versions in Redis decide
            assert (await reader.get(detail)).json()["name"] == name
            assert name in [item["name"] for item in (await reader.get(listing)).json()["items"]]
            # an insert changes the list: its table tag evicts it everywhere
            created = await writer.post(
                f"{V1}/artikel", json={"nummer": f"N-{round_}", "name": "Neu", "einheit_id": einheit["id"]}
            )
            assert created.status_code == 201
            assert f"N-{round_}" in [item["nummer"] for item in (await reader.get(listing)).json()["items"]]


@pytest.mark.parametrize("level", ["redis"], indirect=True)
async def test_the_other_instance_answers_from_the_shared_level(cache_app: CacheApp, redis_prefix: str) -> None:
    async with two_instances(cache_app) as (first, second, (one, two)):
        assert (await one.get(f"{V1}/probe/items/1")).headers["x-cache"] == "MISS"
        # the store into Redis runs as a task right after the response: wait until it is there
        redis = first.app.state.redis
        for _ in range(200):
            if [key async for key in redis.scan_iter(match=f"{redis_prefix}cache:e:*")]:
                break
            await asyncio.sleep(0.005)
        answer = await two.get(f"{V1}/probe/items/1")
        assert answer.headers["x-cache"] == "HIT"
        assert (probe_state(first.app)["calls"], probe_state(second.app)["calls"]) == (1, 0)
