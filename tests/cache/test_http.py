"""HTTP behaviour of cached routes: HIT/MISS, validators, 304, revalidation, keys, limits,
admin endpoints - in process and with Redis."""

from __future__ import annotations

import re

import pytest

from modular_server.plugins.cache import local as cache_local
from modular_server.plugins.cache import runtime as cache_runtime
from tests.cache.support import LEVELS, KioskApp, calls
from tests.support.clock import ShiftedClock

DETAIL = "/api/v1/kiosk/posten/1"
LIST = "/api/v1/kiosk/posten"


@pytest.mark.parametrize("level", LEVELS, indirect=True)
async def test_miss_then_hit_with_validators(kiosk_app: KioskApp, level: str) -> None:
    async with kiosk_app() as running:
        first = await running.client.get(DETAIL)
        second = await running.client.get(DETAIL)
        assert (first.status_code, second.status_code) == (200, 200)
        assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT")
        assert first.content == second.content
        assert first.json()["vorrat"] == [{"id": 1, "menge": "5.000"}]
        assert re.fullmatch(r'"[0-9a-f]{32}"', first.headers["etag"])
        assert second.headers["etag"] == first.headers["etag"]
        assert first.headers["cache-control"] == second.headers["cache-control"] == "private, max-age=5"
        assert second.headers["content-type"] == "application/json"
        assert calls(running, "get_posten") == 1
        # a policy without max_age: the client keeps it but revalidates each use
        listed = await running.client.get(LIST)
        assert listed.headers["cache-control"] == "private, no-cache"
        # a route without a policy is left alone
        plain = await running.client.get("/api/v1/kiosk/uncached")
        assert "x-cache" not in plain.headers and "etag" not in plain.headers


@pytest.mark.parametrize("level", LEVELS, indirect=True)
async def test_if_none_match_answers_304(kiosk_app: KioskApp, level: str) -> None:
    async with kiosk_app() as running:
        etag = (await running.client.get(DETAIL)).headers["etag"]
        for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            hit = await running.client.get(DETAIL, headers={"If-None-Match": header})
            assert hit.status_code == 304, header
            assert hit.content == b""
            assert hit.headers["etag"] == etag and hit.headers["x-cache"] == "HIT"
            assert "content-length" not in hit.headers and "content-type" not in hit.headers
        other = await running.client.get(DETAIL, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200 and other.headers["etag"] == etag
        # on a miss, too: the handler runs, the response is stored, the client gets a 304
        await running.client.post("/api/v1/cache/clear")
        miss = await running.client.get(DETAIL, headers={"If-None-Match": etag})
        assert (miss.status_code, miss.headers["x-cache"], miss.content) == (304, "MISS", b"")
        assert "content-length" not in miss.headers
        assert (await running.client.get(DETAIL)).headers["x-cache"] == "HIT"
        assert calls(running, "get_posten") == 2


@pytest.mark.parametrize("level", LEVELS, indirect=True)
async def test_client_no_cache_revalidates(kiosk_app: KioskApp, level: str) -> None:
    async with kiosk_app() as running:
        etag = (await running.client.get(DETAIL)).headers["etag"]
        for headers in ({"Cache-Control": "no-cache"}, {"Cache-Control": "max-age=0"}, {"Pragma": "no-cache"}):
            fresh = await running.client.get(DETAIL, headers=headers)
            assert fresh.status_code == 200 and fresh.headers["x-cache"] == "MISS"
        assert calls(running, "get_posten") == 4
        revalidated = await running.client.get(DETAIL, headers={"Cache-Control": "no-cache", "If-None-Match": etag})
        assert revalidated.status_code == 304 and revalidated.headers["x-cache"] == "MISS"
        assert calls(running, "get_posten") == 5
        assert (await running.client.get(DETAIL)).headers["x-cache"] == "HIT"
        assert calls(running, "get_posten") == 5


async def test_keys_sort_query_parameters_and_separate_scopes(kiosk_app: KioskApp) -> None:
    async with kiosk_app() as running:
        client = running.client
        assert (await client.get(LIST, params=[("status", "frei"), ("x", "1")])).headers["x-cache"] == "MISS"
        assert (await client.get(f"{LIST}?x=1&status=frei")).headers["x-cache"] == "HIT"
        assert (await client.get(f"{LIST}?status=gesperrt&x=1")).headers["x-cache"] == "MISS"
        async with running.as_scope("read") as reader:
            assert (await reader.get(f"{LIST}?x=1&status=frei")).headers["x-cache"] == "MISS"
            assert (await reader.get(f"{LIST}?status=frei&x=1")).headers["x-cache"] == "HIT"
        assert calls(running, "list_posten") == 3
        # the numeric path value is canonical in tags, but the path itself stays part of the key
        assert (await client.get("/api/v1/kiosk/posten/01")).headers["x-cache"] == "MISS"
        assert (await client.get("/api/v1/kiosk/posten/01")).headers["x-cache"] == "HIT"


async def test_only_successful_gets_are_cached(kiosk_app: KioskApp) -> None:
    async with kiosk_app() as running:
        for _ in range(2):
            missing = await running.client.get("/api/v1/kiosk/posten/999")
            assert missing.status_code == 404 and missing.headers["x-cache"] == "MISS"
            assert "etag" not in missing.headers
        assert calls(running, "get_posten") == 2
        created = await running.client.post("/api/v1/kiosk/sorten", json={"name": "Kirsche"})
        assert created.status_code == 201 and "x-cache" not in created.headers


async def test_disabled_cache_serves_identical_bodies(kiosk_app: KioskApp) -> None:
    paths = [DETAIL, "/api/v1/kiosk/posten/3", LIST, f"{LIST}?status=frei", "/api/v1/kiosk/sorten/1"]
    paths.append("/api/v1/kiosk/vorrat/summe")
    bodies = {}
    async with kiosk_app() as running:
        bodies["plugin"] = [(await running.client.get(p)).content for p in paths + paths]
        assert calls(running, "get_posten") == 2
    async with kiosk_app(seeded=False, disabled=("cache",)) as running:
        assert not running.app.state.host.is_serving("cache")
        bodies["off"] = [(await running.client.get(p)).content for p in paths + paths]
    async with kiosk_app(seeded=False, enabled=False) as running:
        bodies["setting"] = [(await running.client.get(p)).content for p in paths + paths]
        assert calls(running, "get_posten") == 4
    assert bodies["plugin"] == bodies["off"] == bodies["setting"]


async def test_route_settings(kiosk_app: KioskApp, monkeypatch: pytest.MonkeyPatch) -> None:
    async with kiosk_app(routes=["/api/v1/kiosk/posten/{posten_id}"]) as running:
        assert "x-cache" not in (await running.client.get(LIST)).headers
        assert (await running.client.get(DETAIL)).headers["x-cache"] == "MISS"
    async with kiosk_app(route_ttl_seconds={"/api/v1/kiosk/posten/{posten_id}": 0}) as running:
        assert "x-cache" not in (await running.client.get(DETAIL)).headers
    clock = ShiftedClock().install(monkeypatch, cache_local, cache_runtime)
    async with kiosk_app(default_ttl_seconds=60) as running:
        assert (await running.client.get(DETAIL)).headers["x-cache"] == "MISS"
        assert (await running.client.get(DETAIL)).headers["x-cache"] == "HIT"
        clock.advance(61)  # past the TTL
        assert (await running.client.get(DETAIL)).headers["x-cache"] == "MISS"
        assert calls(running, "get_posten") == 2


async def test_l1_is_bounded_by_entries_and_bytes(kiosk_app: KioskApp) -> None:
    async with kiosk_app(l1_max_entries=2) as running:
        for posten in (1, 2, 3):
            await running.client.get(f"/api/v1/kiosk/posten/{posten}")
        stats = (await running.client.get("/api/v1/cache/stats")).json()
        assert stats["size"]["entries"] == 2 and stats["evictions"] == 1
        # least recently used went first
        assert (await running.client.get("/api/v1/kiosk/posten/1")).headers["x-cache"] == "MISS"
    # ~340 bytes per entry (body + overhead): 1 KiB holds three, never a fourth
    async with kiosk_app(l1_max_bytes=1024) as running:
        for posten in (1, 2, 3):
            await running.client.get(f"/api/v1/kiosk/posten/{posten}")
            await running.client.get(f"/api/v1/kiosk/posten/{posten}?v=2")
        stats = (await running.client.get("/api/v1/cache/stats")).json()
        assert stats["size"]["entries"] < 4 and stats["evictions"] == 6 - stats["size"]["entries"]
        assert stats["size"]["bytes"] <= 1024
    async with kiosk_app(max_entry_bytes=10) as running:
        await running.client.get(DETAIL)
        assert (await running.client.get(DETAIL)).headers["x-cache"] == "MISS"


@pytest.mark.parametrize("level", LEVELS, indirect=True)
async def test_admin_endpoints(kiosk_app: KioskApp, level: str) -> None:
    async with kiosk_app() as running:
        client = running.client
        for path in (DETAIL, DETAIL, DETAIL, "/api/v1/kiosk/posten/3", LIST):
            await client.get(path)
        stats = (await client.get("/api/v1/cache/stats")).json()
        assert (stats["hits"], stats["misses"], stats["hit_ratio"]) == (2, 3, 0.4)
        assert stats["hits_by_level"]["l1"] == 2
        assert stats["routes"]["/api/v1/kiosk/posten/{posten_id}"] == {"hits": 2, "misses": 2, "hit_ratio": 0.5}
        assert stats["size"]["entries"] == 3 and stats["size"]["bytes"] > 0
        assert stats["redis"]["configured"] is (level == "redis")
        if level == "redis":
            assert stats["redis"]["available"] is True and stats["redis"]["subscribed"] is True

        answer = await client.post("/api/v1/cache/invalidate", json={"tags": ["posten:1"]})
        assert answer.status_code == 200
        assert answer.json() == {
            "tags": ["posten:1"],
            "evicted_here": 1,
            "redis": "delivered" if level == "redis" else "not configured",
        }
        assert (await client.get(DETAIL)).headers["x-cache"] == "MISS"
        assert (await client.get("/api/v1/kiosk/posten/3")).headers["x-cache"] == "HIT"

        cleared = await client.post("/api/v1/cache/clear")
        assert cleared.status_code == 200 and cleared.json()["evicted_here"] == 3
        for path in (DETAIL, "/api/v1/kiosk/posten/3", LIST):
            assert (await client.get(path)).headers["x-cache"] == "MISS"

        assert (await client.post("/api/v1/cache/invalidate", json={"tags": []})).status_code == 422
        async with running.as_scope("write") as writer:
            for method, path in (("GET", "stats"), ("POST", "clear")):
                refused = await writer.request(method, f"/api/v1/cache/{path}")
                assert refused.status_code == 403 and refused.json()["required_scope"] == "admin"
