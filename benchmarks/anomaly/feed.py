"""A paced stream of batch bookings and the scoring position sampled while it runs.

The feeder sends a batch of ``batch_size`` incoming movements every ``batch_size / rate``
seconds (several in flight when the server is slower than the pace), so the offered load is
the target rate, not whatever the server happens to take. Once a second the sampler reads how
far the anomaly plugin has scored (its stored position) against the newest movement.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from benchmarks.probe import Facts

POSITION_SQL = "SELECT coalesce(max(position), 0) FROM anomaly_position WHERE name = 'lagerbewegung'"
NEWEST_SQL = "SELECT coalesce(max(id), 0) FROM lagerbewegung"
IN_FLIGHT = 4  # batches sent concurrently at most; beyond that the pace slips and is reported


@dataclass
class FeedResult:
    seconds: float  # from the first batch sent to the last one answered
    booked: int  # movements acknowledged (2xx)
    failed_batches: int
    lag_samples: list[int] = field(default_factory=list)  # newest id - scored position, once a second
    catch_up_seconds: float | None = None  # after the last answer until scoring reached it (None: never)

    @property
    def rate(self) -> float:
        return self.booked / self.seconds if self.seconds else 0.0

    @property
    def max_lag(self) -> int:
        return max(self.lag_samples, default=0)


def batch_bodies(facts: Facts, batch_size: int) -> list[dict[str, Any]]:
    """Batches of 1-unit ``eingang`` movements over the sampled stock rows, in turn."""
    rows = facts.bestand
    if not rows:
        raise ValueError("the dataset has no stock to book on")
    bodies = []
    for start in range(0, max(len(rows), batch_size), batch_size):
        chosen = [rows[(start + n) % len(rows)] for n in range(batch_size)]
        items = [
            {"typ": "eingang", "artikel_id": a, "charge_id": c, "nach_lagerort_id": o, "menge": "1"}
            for a, c, o, _free in chosen
        ]
        bodies.append({"items": items})
    return bodies


async def _scoring_lag(connection: Any) -> int:
    newest = await connection.fetchval(NEWEST_SQL)
    scored = await connection.fetchval(POSITION_SQL)
    return int(newest) - int(scored)


async def feed(
    base_url: str,
    token: str,
    database_dsn: str,
    bodies: list[dict[str, Any]],
    *,
    rate: float,
    seconds: float,
    catch_up_limit: float,
) -> FeedResult:
    import asyncpg

    batch_size = len(bodies[0]["items"])
    interval = batch_size / rate
    result = FeedResult(seconds=0.0, booked=0, failed_batches=0)
    gate = asyncio.Semaphore(IN_FLIGHT)
    connection = await asyncpg.connect(database_dsn)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:

        async def send(body: dict[str, Any]) -> None:
            async with gate:
                answer = await client.post("/api/v1/bewegungen/batch", json=body)
            if answer.is_success:
                result.booked += len(body["items"])
            else:
                result.failed_batches += 1

        async def sample(stop: asyncio.Event) -> None:
            while not stop.is_set():
                result.lag_samples.append(await _scoring_lag(connection))
                await asyncio.sleep(1.0)

        stop = asyncio.Event()
        sampler = asyncio.create_task(sample(stop))
        started = time.perf_counter()
        sends = []
        for n in range(int(seconds / interval)):
            await asyncio.sleep(max(0.0, started + n * interval - time.perf_counter()))
            sends.append(asyncio.create_task(send(bodies[n % len(bodies)])))
        await asyncio.gather(*sends)
        result.seconds = time.perf_counter() - started
        stop.set()
        await sampler
        fed = time.perf_counter()
        while time.perf_counter() - fed < catch_up_limit * 4:
            if await _scoring_lag(connection) <= 0:
                result.catch_up_seconds = time.perf_counter() - fed
                break
            await asyncio.sleep(0.1)
    await connection.close()
    return result
