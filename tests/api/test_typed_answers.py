"""The answers that got a response model (cache stats, system plugins and keys, the monitoring and
anomaly lists) send what they sent before: the same members, in the same order, with the same
values. The model adds a schema, not a change."""

from __future__ import annotations

import json
from typing import Any

from modular_server.testing import RunningApp


def _same(answer: Any, before: Any) -> None:
    # member order too: the JSON text a client sees is unchanged
    assert json.dumps(answer) == json.dumps(before)


async def _cache_stats_as_before(make_app: Any, with_redis: bool, **overrides: Any) -> None:
    async with make_app(**overrides) as running:
        await running.client.get("/api/v1/einheiten")
        await running.client.get("/api/v1/einheiten")
        answer = (await running.client.get("/api/v1/cache/stats")).json()
        _same(answer, running.app.state.host.data["cache"].stats())
    assert answer["redis"]["configured"] is with_redis
    assert answer["routes"], "a cached route was counted"


async def test_cache_stats_answer_the_runtime_figures(make_app: Any) -> None:
    await _cache_stats_as_before(make_app, with_redis=False)


async def test_cache_stats_with_redis_answer_the_runtime_figures(
    make_app: Any, redis_url: str, redis_prefix: str
) -> None:
    await _cache_stats_as_before(make_app, with_redis=True, redis_url=redis_url, redis_prefix=redis_prefix)


async def test_system_plugins_and_keys_answer_as_before(running: RunningApp) -> None:
    answer = await running.client.get("/api/v1/system/plugins")
    _same(answer.json(), json.loads(json.dumps(running.app.state.host.document())))
    keys = (await running.client.get("/api/v1/system/keys")).json()
    assert list(keys) == ["items"] and keys["items"]
    assert list(keys["items"][0]) == ["id", "name", "scope", "prefix", "revoked"]
