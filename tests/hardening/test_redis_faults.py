"""Redis slow or gone under the whole inventory app: no request fails, answers stay fresh,
readiness says ``degraded`` (never 503), and everything recovers by itself."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from modular_server.testing import BOTH, RunningApp, eventually
from modular_server.testing.proxy import TcpProxy

pytestmark = pytest.mark.parametrize("backend", BOTH, indirect=True)


async def ready(running: RunningApp) -> dict:
    answer = await running.client.get("/health/ready")
    assert answer.status_code == 200, "Redis trouble never makes an instance unready"
    return answer.json()


async def eventually_ok(running: RunningApp) -> dict:
    async def healthy() -> dict | None:
        report = await ready(running)
        return report if report["status"] == "ok" else None

    return await eventually(healthy, "every check ok again")


@pytest.mark.parametrize("fault", ["slow", "cut"])
async def test_inventory_keeps_serving_while_redis_is_slow_or_gone(make_app, redis_url, redis_prefix, fault):
    target = urlsplit(redis_url)
    async with TcpProxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        settings = {
            "redis_url": f"redis://127.0.0.1:{proxy.port}{target.path}",
            "redis_prefix": redis_prefix,
            # timeouts with room for the proxy's hop on a busy machine; the slow fault exceeds them
            "redis_timeout_seconds": 0.2,
            "redis_retry_seconds": 0.1,
            "rate_limit_per_minute": 6000,
            "cache": {"redis_retry_seconds": 0.1, "redis_timeout_ms": 200},
        }
        async with make_app(disabled=["anomaly"], **settings) as running:
            client = running.client
            einheit = (
                await client.post(
                    "/api/v1/einheiten", json={"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": "1"}
                )
            ).json()["id"]
            artikel = await client.post(
                "/api/v1/artikel", json={"nummer": "A-1", "name": "Schraube", "einheit_id": einheit}
            )
            path = f"/api/v1/artikel/{artikel.json()['id']}"
            assert (await client.get(path)).headers["x-cache"] == "MISS"
            assert (await client.get(path)).headers["x-cache"] == "HIT"
            assert (await ready(running))["status"] == "ok"

            if fault == "slow":
                proxy.delay = 1.0  # far beyond every Redis timeout: each call times out
            else:
                await proxy.cut()
            statuses = []
            renamed = await client.patch(path, json={"name": "Senkschraube"})
            statuses.append(renamed.status_code)
            read = await client.get(path)
            statuses.append(read.status_code)
            assert read.json()["name"] == "Senkschraube", "a write during the outage is read fresh"
            statuses += [(await client.get(url)).status_code for url in ("/api/v1/artikel", "/api/v1/einheiten")]
            created = await client.post(
                "/api/v1/artikel", json={"nummer": "A-2", "name": "Mutter", "einheit_id": einheit}
            )
            statuses.append(created.status_code)
            assert statuses == [200, 200, 200, 200, 201]
            report = await ready(running)
            assert report["status"] == "degraded"
            assert report["checks"]["redis"]["status"] == "degraded"
            assert report["checks"]["cache.redis"]["status"] == "degraded"

            if fault == "slow":
                proxy.delay = 0
            else:
                await proxy.restore()
            await eventually_ok(running)
            listed = (await client.get("/api/v1/artikel")).json()["items"]
            assert {a["nummer"]: a["name"] for a in listed} == {"A-1": "Senkschraube", "A-2": "Mutter"}
            again = await client.get(path)
            assert again.status_code == 200 and again.json()["name"] == "Senkschraube"
