"""Body size limit, deep JSON, security headers, CORS and per-key rate limiting."""

from urllib.parse import urlsplit

import pytest
import redis.asyncio as redis

from modular_server.testing import BOTH
from modular_server.testing.proxy import TcpProxy


async def test_declared_body_over_limit_is_refused_before_reading(make_app):
    async with make_app(max_body_bytes=2048) as running:
        r = await running.client.post(
            "/api/v1/system/keys", content=b"x" * 4096, headers={"content-type": "application/json"}
        )
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["limit"] == 2048


async def test_streamed_body_over_limit_is_refused(make_app):
    async def chunks():
        for _ in range(8):
            yield b"[" * 1024

    async with make_app(max_body_bytes=2048) as running:
        r = await running.client.post(
            "/api/v1/system/keys", content=chunks(), headers={"content-type": "application/json"}
        )
        assert r.status_code == 413
        assert r.json()["type"].endswith("body-too-large")


async def test_deeply_nested_json_is_a_client_error(make_app):
    async with make_app(max_body_bytes=1_048_576) as running:
        body = b"[" * 200_000 + b"]" * 200_000
        r = await running.client.post("/api/v1/system/keys", content=body, headers={"content-type": "application/json"})
        assert r.status_code in (400, 422)
        assert r.headers["content-type"] == "application/problem+json"
        keys = (await running.client.get("/api/v1/system/keys")).json()["items"]
        assert {k["name"] for k in keys} == {"test-read", "test-write", "test-admin"}


async def test_security_headers_on_every_response(make_app):
    async with make_app() as running:
        for response in (
            await running.anonymous.get("/health/live"),
            await running.anonymous.get("/api/v1/system/plugins"),
            await running.client.get("/api/v1/system/plugins"),
            await running.client.get("/api/v1/does-not-exist"),
        ):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert response.headers["x-request-id"]


async def test_cors_closed_by_default_and_configurable(make_app):
    preflight = {"origin": "https://erp.example", "access-control-request-method": "GET"}
    async with make_app() as running:
        r = await running.anonymous.options("/api/v1/system/plugins", headers=preflight)
        assert "access-control-allow-origin" not in r.headers
    async with make_app(cors_origins=["https://erp.example"]) as running:
        r = await running.anonymous.options("/api/v1/system/plugins", headers=preflight)
        assert r.headers["access-control-allow-origin"] == "https://erp.example"
        r = await running.anonymous.options(
            "/api/v1/system/plugins", headers={**preflight, "origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in r.headers


# One request per minute refills a bucket: nothing refills during a test, however slowly the
# machine answers (at 60 per minute a busy machine refilled a token between two requests).
NO_REFILL_PER_MINUTE = 1


async def test_rate_limit_in_process_answers_429_with_retry_after(make_app):
    async with make_app(rate_limit_per_minute=NO_REFILL_PER_MINUTE, rate_limit_burst=3) as running:
        reader = running.as_scope("read")
        statuses = [(await reader.get("/api/v1/system/keys")).status_code for _ in range(3)]
        assert statuses == [403, 403, 403]  # read scope: admitted by the limiter, refused by scope
        r = await reader.get("/api/v1/system/keys")
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"] == "application/problem+json"
        # buckets are per key: the admin key is unaffected
        assert (await running.client.get("/api/v1/system/keys")).status_code == 200


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_rate_limit_shared_through_redis(make_app, redis_url, redis_prefix):
    shared = {
        "redis_url": redis_url,
        "redis_prefix": redis_prefix,
        "rate_limit_per_minute": NO_REFILL_PER_MINUTE,
        "rate_limit_burst": 2,
    }
    async with make_app(**shared) as first, make_app(**shared) as second:
        # both instances share the database (and so the keys) and the bucket in Redis
        token = second.keys["admin"]
        headers = {"Authorization": f"Bearer {token}"}
        assert (await first.client.get("/api/v1/system/plugins", headers=headers)).status_code == 200
        assert (await first.client.get("/api/v1/system/plugins", headers=headers)).status_code == 200
        third = await second.client.get("/api/v1/system/plugins")
        assert third.status_code == 429, "the second instance must see the bucket emptied by the first"


async def test_rate_limit_falls_back_to_in_process_buckets_while_redis_is_away(
    make_app, redis_url, redis_prefix, caplog
):
    target = urlsplit(redis_url)
    bucket = f"{redis_prefix}rl:test-admin"
    direct = redis.Redis.from_url(redis_url)
    async with TcpProxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        settings = {
            "redis_url": f"redis://127.0.0.1:{proxy.port}{target.path}",
            "redis_prefix": redis_prefix,
            "rate_limit_per_minute": NO_REFILL_PER_MINUTE,
            "rate_limit_burst": 2,
            "redis_retry_seconds": 60,  # only the readiness probe finds Redis again within the test
        }
        try:
            async with make_app(**settings) as running:
                get = running.client.get
                assert [(await get("/api/v1/system/plugins")).status_code for _ in range(3)] == [200, 200, 429]
                before = float(await direct.hget(bucket, "at"))

                await proxy.cut()
                # no request fails: each process limits with its own bucket (full at first use)
                answers = [await get("/api/v1/system/plugins") for _ in range(3)]
                assert [a.status_code for a in answers] == [200, 200, 429]
                assert answers[2].headers["content-type"] == "application/problem+json"
                assert int(answers[2].headers["retry-after"]) >= 1
                breaker = running.app.state.redis_breaker
                assert breaker.up is False and breaker.failures == 1, "later requests did not wait for Redis"
                assert caplog.text.count("Redis unavailable") == 1, "the outage is logged once, not per request"
                ready = (await get("/health/ready")).json()
                assert ready["status"] == "degraded" and ready["checks"]["redis"]["status"] == "degraded"

                await proxy.restore()
                assert (await get("/health/ready")).json()["checks"]["redis"]["status"] == "ok"
                assert breaker.up is True
                assert (await get("/api/v1/system/plugins")).status_code == 429  # the shared bucket is still empty
                assert float(await direct.hget(bucket, "at")) > before, "the limiter uses Redis again"
        finally:
            await direct.aclose()
