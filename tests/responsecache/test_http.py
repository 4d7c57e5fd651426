"""HTTP behaviour of the response cache: MISS then HIT, ETag and 304, Cache-Control, what is
never stored, keys per scope and query, admin endpoints, and the plugin switched off."""

from __future__ import annotations

import pytest

from tests.responsecache.conftest import LEVELS, CacheApp
from tests.responsecache.probe import probe_state

ITEM = "/api/v1/probe/items/1"


@pytest.mark.parametrize("level", LEVELS, indirect=True)
async def test_miss_then_hit_with_stable_strong_etag(cache_app: CacheApp) -> None:
    async with cache_app() as running:
        first = await running.client.get(ITEM)
        second = await running.client.get(ITEM)
        assert first.status_code == second.status_code == 200
        assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT")
        assert first.content == second.content
        assert first.headers["etag"] == second.headers["etag"]
        assert first.headers["etag"].startswith('"') and not first.headers["etag"].startswith("W/")
        assert second.headers["cache-control"] == "private, max-age=5"
        assert second.headers["content-type"] == "application/json"
        assert second.headers["content-length"] == str(len(second.content))
        assert second.headers["x-request-id"] != first.headers["x-request-id"]
        assert probe_state(running.app)["calls"] == 1


@pytest.mark.parametrize("level", LEVELS, indirect=True)
async def test_if_none_match_answers_304_on_miss_and_on_hit(cache_app: CacheApp) -> None:
    async with cache_app() as running:
        etag = (await running.client.get(ITEM)).headers["etag"]
        await running.client.post("/api/v1/cache/clear")
        on_miss = await running.client.get(ITEM, headers={"If-None-Match": etag})
        on_hit = await running.client.get(ITEM, headers={"If-None-Match": f'"other", W/{etag}'})
        changed = await running.client.get(ITEM, headers={"If-None-Match": '"something-else"'})
        assert (on_miss.status_code, on_miss.headers["x-cache"]) == (304, "MISS")
        assert (on_hit.status_code, on_hit.headers["x-cache"]) == (304, "HIT")
        for response in (on_miss, on_hit):
            assert response.content == b""
            assert response.headers["etag"] == etag
            assert "content-length" not in response.headers
        assert changed.status_code == 200 and changed.headers["etag"] == etag
        # the 304 on a miss still stored the full response
        assert probe_state(running.app)["calls"] == 2


@pytest.mark.parametrize("level", LEVELS, indirect=True)
async def test_client_no_cache_revalidates_and_refreshes(cache_app: CacheApp) -> None:
    async with cache_app() as running:
        await running.client.get(ITEM)
        probe_state(running.app)["version"] = 2  # a change no commit reports
        stale = await running.client.get(ITEM)
        fresh = await running.client.get(ITEM, headers={"Cache-Control": "no-cache"})
        after = await running.client.get(ITEM)
        assert stale.json()["version"] == 1 and stale.headers["x-cache"] == "HIT"
        assert fresh.json()["version"] == 2 and fresh.headers["x-cache"] == "MISS"
        assert after.json()["version"] == 2 and after.headers["x-cache"] == "HIT"
        bypass = await running.client.get(ITEM, headers={"Cache-Control": "no-store"})
        assert bypass.status_code == 200 and "x-cache" not in bypass.headers
        assert probe_state(running.app)["calls"] == 3


async def test_key_separates_query_and_scope_but_not_query_order(cache_app: CacheApp) -> None:
    async with cache_app() as running:
        reader = running.as_scope("read")
        await running.client.get(ITEM + "?q=a&x=1")
        same = await running.client.get(ITEM + "?x=1&q=a")
        other_query = await running.client.get(ITEM + "?q=b&x=1")
        other_scope = await reader.get(ITEM + "?q=a&x=1")
        assert same.headers["x-cache"] == "HIT"
        assert other_query.headers["x-cache"] == "MISS" and other_query.json()["q"] == "b"
        assert other_scope.headers["x-cache"] == "MISS"
        assert probe_state(running.app)["calls"] == 3


async def test_errors_cookies_and_uncached_routes_are_never_stored(cache_app: CacheApp) -> None:
    async with cache_app() as running:
        for _ in range(2):
            boom = await running.client.get("/api/v1/probe/boom")
            assert boom.status_code == 500
            cookie = await running.client.get("/api/v1/probe/cookie")
            assert cookie.status_code == 200 and cookie.headers["x-cache"] == "MISS"
            plain = await running.client.get("/api/v1/probe/plain")
            assert plain.status_code == 200 and "x-cache" not in plain.headers and "etag" not in plain.headers
        missing = await running.client.get("/api/v1/probe/items/not-a-number")
        assert missing.status_code == 422
        assert probe_state(running.app)["calls"] == 4
        assert running.app.state.host.data["cache"].stats()["entries"] == 0


@pytest.mark.parametrize("level", LEVELS, indirect=True)
async def test_admin_invalidate_clear_and_stats(cache_app: CacheApp) -> None:
    async with cache_app() as running:
        for path in (ITEM, "/api/v1/probe/items/2", ITEM):
            await running.client.get(path)
        stats = (await running.client.get("/api/v1/cache/stats")).json()
        assert (stats["hits"], stats["misses"], stats["ratio"], stats["entries"]) == (1, 2, 0.3333, 2)
        assert stats["bytes"] > 0
        assert stats["routes"]["/api/v1/probe/items/{item_id}"] == {"hits": 1, "misses": 2, "ratio": 0.3333}
        assert stats["redis"]["configured"] is (running.app.state.redis is not None)

        dropped = await running.client.post("/api/v1/cache/invalidate", json={"tags": ["item:1"]})
        assert dropped.status_code == 200
        assert dropped.json() == {"tags": ["item:1"], "shared": running.app.state.redis is not None}
        assert (await running.client.get(ITEM)).headers["x-cache"] == "MISS"
        assert (await running.client.get("/api/v1/probe/items/2")).headers["x-cache"] == "HIT"
        if running.app.state.redis is not None:
            # tag versions expire (twice the longest entry life): Redis holds nothing forever
            prefix = running.app.state.settings.redis_prefix
            version_ttl = await running.app.state.redis.ttl(f"{prefix}cache:v:item:1")
            assert 3600 < version_ttl <= 7201

        assert (await running.client.post("/api/v1/cache/clear")).status_code == 204
        assert (await running.client.get("/api/v1/probe/items/2")).headers["x-cache"] == "MISS"
        assert running.app.state.host.data["cache"].stats()["evictions"] >= 2

        reader = running.as_scope("write")
        assert (await reader.get("/api/v1/cache/stats")).status_code == 403
        assert (await reader.post("/api/v1/cache/clear")).status_code == 403


async def test_l1_is_bounded_by_entries_and_bytes(cache_app: CacheApp) -> None:
    async with cache_app(cache={"l1_max_entries": 3}) as running:
        for item in range(5):
            await running.client.get(f"/api/v1/probe/items/{item}")
        stats = running.app.state.host.data["cache"].stats()
        assert (stats["entries"], stats["evictions"]) == (3, 2)
    async with cache_app(cache={"l1_max_bytes": 2048}) as running:
        for item in range(20):
            await running.client.get(f"/api/v1/probe/items/{item}")
        stats = running.app.state.host.data["cache"].stats()
        assert stats["bytes"] <= 2048 and 0 < stats["entries"] < 20


async def test_disabled_cache_gives_identical_bodies(cache_app: CacheApp) -> None:
    bodies = {}
    for variant, options in {
        "cached": {},
        "switched_off": {"cache": {"enabled": False}},
        "not_installed": {"with_cache": False},
    }.items():
        async with cache_app(**options) as running:
            responses = [await running.client.get(ITEM + "?q=x") for _ in range(2)]
            bodies[variant] = [r.content for r in responses]
            if variant != "cached":
                assert all("x-cache" not in r.headers for r in responses)
                assert probe_state(running.app)["calls"] == 2
    assert bodies["cached"] == bodies["switched_off"] == bodies["not_installed"]
