"""Cumulative figures since start, the source of GET /metrics.

Prometheus counters must only grow, and a scrape may land on any worker. With Redis, every
worker adds its deltas to one shared hash (HINCRBY), so each worker serves the same,
monotonic, cluster-wide totals, which survive worker restarts. Without Redis the totals are
this process's own - exact with one worker (the default); with several workers configure
Redis (the plugin warns at startup).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from modular_server.plugins.monitoring.counters import ADDITIVE
from modular_server.plugins.monitoring.histogram import BUCKET_COUNT
from modular_server.plugins.monitoring.recorder import RouteFigures, RouteKey

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("modular_server.monitoring")
_SEP = "\t"  # never part of a method or a route template


def merge_into(target: dict[RouteKey, RouteFigures], figures: dict[RouteKey, RouteFigures]) -> None:
    for key, value in figures.items():
        mine = target.get(key)
        if mine is None:
            mine = target[key] = RouteFigures()
        mine.merge(value)


class LocalTotals:
    def __init__(self) -> None:
        self.figures: dict[RouteKey, RouteFigures] = {}

    async def add(self, figures: dict[RouteKey, RouteFigures]) -> None:
        merge_into(self.figures, figures)

    async def read(self) -> tuple[dict[RouteKey, RouteFigures], int]:
        return self.figures, 1

    async def close(self) -> None:
        return None


class RedisTotals:
    """Shared totals in one Redis hash; a worker heartbeat hash counts the merged workers."""

    def __init__(self, client: Redis, prefix: str, worker: str, stale_after: float) -> None:
        self.client = client
        self.key = f"{prefix}monitoring:totals"
        self.workers_key = f"{prefix}monitoring:workers"
        self.worker = worker
        self.stale_after = stale_after
        self.unpushed: dict[RouteKey, RouteFigures] = {}

    async def add(self, figures: dict[RouteKey, RouteFigures]) -> None:
        merge_into(self.unpushed, figures)
        pipe = self.client.pipeline(transaction=False)
        for (method, route), value in self.unpushed.items():
            for name, amount in _fields(value):
                pipe.hincrby(self.key, f"{method}{_SEP}{route}{_SEP}{name}", amount)
        pipe.hset(self.workers_key, self.worker, str(time.time()))
        await pipe.execute()
        self.unpushed = {}

    async def read(self) -> tuple[dict[RouteKey, RouteFigures], int]:
        raw = await self.client.hgetall(self.key)
        beats = await self.client.hgetall(self.workers_key)
        now = time.time()
        workers = sum(1 for stamp in beats.values() if now - float(stamp) < self.stale_after)
        figures: dict[RouteKey, RouteFigures] = {}
        for field, amount in raw.items():
            method, route, name = _text(field).split(_SEP)
            value = figures.get((method, route))
            if value is None:
                value = figures[(method, route)] = RouteFigures()
            _apply(value, name, int(amount))
        for value in figures.values():
            value.latency.count = sum(value.latency.counts)
        return figures, max(workers, 1)

    async def close(self) -> None:
        # the client is the app's shared pool: the core closes it
        await self.client.hdel(self.workers_key, self.worker)


def _fields(value: RouteFigures) -> list[tuple[str, int]]:
    found = [(f"s{i + 1}", n) for i, n in enumerate(value.status_classes) if n]
    found += [(name, getattr(value, name)) for name in ADDITIVE if getattr(value, name)]
    found += [(f"h{i}", n) for i, n in enumerate(value.latency.counts) if n]
    if value.latency.count:
        found.append(("sum_us", round(value.latency.total * 1_000_000)))
    return found


def _apply(value: RouteFigures, name: str, amount: int) -> None:
    if name.startswith("s") and name[1:].isdigit():
        value.status_classes[int(name[1:]) - 1] += amount
    elif name.startswith("h") and name[1:].isdigit() and int(name[1:]) < BUCKET_COUNT:
        value.latency.counts[int(name[1:])] += amount
    elif name == "sum_us":
        value.latency.total += amount / 1_000_000
    elif name in ADDITIVE:
        setattr(value, name, getattr(value, name) + amount)


def _text(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)
