"""One load test: a dedicated database, the server with two workers, windows of mixed load."""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import dataset
from benchmarks.loadgen import LoadGenerator, Spec
from benchmarks.loadtest import checks, serverlog, traffic, windows
from benchmarks.probe import probe
from benchmarks.servers import LOOPBACK, ServerProcess, ServerSpec, product_server_env

log = logging.getLogger("benchmarks.loadtest")
DEFAULT_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:5432/modular_loadtest"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class LoadtestConfig:
    duration: float = 300.0
    window: float = 60.0  # p99 and RSS are reported per window; the first one is the warm-up
    clients: int = 64
    workers: int = 2
    scale: int = 1
    database_url: str = DEFAULT_DATABASE  # dropped and created afresh
    redis_url: str = DEFAULT_REDIS
    redis_prefix: str = field(default_factory=lambda: f"loadtest:{uuid.uuid4().hex[:8]}:")
    timeout: float = 60.0


@dataclass
class LoadtestResult:
    config: dict[str, Any]
    started: str
    windows: list[windows.Window]
    ledger: checks.LedgerReport
    server_errors: int
    failures: int
    p99_drift: float | None
    rss_growth: float | None
    p99_spread: float | None
    requests_per_second: float | None
    rows: dict[str, int]
    #: the server's WARNING (and worse) lines by kind, most first (reported, not judged)
    log_warnings: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return (
            self.server_errors == 0
            and self.failures == 0
            and self.ledger.clean
            and (self.p99_drift is None or self.p99_drift <= windows.DRIFT_LIMIT)
            and (self.rss_growth is None or self.rss_growth < windows.RSS_GROWTH_LIMIT)
            and (self.p99_spread is None or self.p99_spread <= windows.SPREAD_LIMIT)
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"passed": self.passed}


async def _forget_redis_keys(redis_url: str, prefix: str) -> None:
    """Remove what the run left in Redis (cache entries, counters) under its own prefix."""
    import redis.asyncio as redis

    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        async for key in client.scan_iter(match=f"{prefix}*", count=500):
            await client.delete(key)
    finally:
        await client.aclose()


def server_spec(config: LoadtestConfig, work_dir: Path) -> ServerSpec:
    command = [sys.executable, "-m", "modular_server", "serve", "--host", LOOPBACK, "--port", "{port}"]
    return ServerSpec(
        "loadtest-server",
        [*command, "--workers", str(config.workers)],
        product_server_env(config.database_url, work_dir, "loadtest")
        | {"MODULAR_SERVER_REDIS_URL": config.redis_url, "MODULAR_SERVER_REDIS_PREFIX": config.redis_prefix},
    )


def run_loadtest(config: LoadtestConfig) -> LoadtestResult:
    if config.duration <= 0 or config.window <= 0 or config.clients < 1:
        raise ValueError("duration, window and clients must be positive")
    token = dataset.fresh_database(config.database_url, config.scale, key_name="loadtest")
    facts = probe(config.database_url)
    requests = traffic.mix(facts)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    count = max(1, round(config.duration / config.window))
    measured: list[windows.Window] = []
    acknowledged: list[tuple[int, Any]] = []
    with tempfile.TemporaryDirectory(prefix="modular-loadtest-") as tmp:
        work_dir = Path(tmp)
        with ServerProcess(server_spec(config, work_dir), work_dir / "logs") as server, LoadGenerator() as load:
            spec = Spec(
                host=LOOPBACK,
                port=server.port,
                requests=[{**r, "headers": {"Authorization": f"Bearer {token}"}} for r in requests],
                concurrency=config.clients,
                duration=config.duration / count,
                max_requests=10_000_000,
                timeout=config.timeout,
                record_samples=True,
                collect_ids=["booking"],
            )
            for index in range(count):
                outcome = load.run(spec)
                acknowledged += [(seq, answer_id) for _tag, seq, answer_id in outcome.acknowledged]
                measured.append(windows.window(index, outcome, sum(server.rss_bytes().values())))
                log.info("window %d: %d requests, status %s", index, outcome.count, outcome.status)
            server_log = server.log_path.read_text(errors="replace")
            log_tail = server_log[-4000:]
    asyncio.run(_forget_redis_keys(config.redis_url, config.redis_prefix))
    ledger = checks.check(config.database_url, acknowledged)
    if not ledger.clean or windows.server_errors(measured):
        log.warning("server log (tail):\n%s", log_tail)
    return LoadtestResult(
        config=asdict(config),
        started=started,
        windows=measured,
        ledger=ledger,
        server_errors=windows.server_errors(measured),
        failures=sum(w.failures for w in measured),
        p99_drift=windows.p99_drift(measured),
        rss_growth=windows.rss_growth(measured),
        p99_spread=windows.widest_spread(measured),
        requests_per_second=windows.throughput(measured),
        rows=facts.rows,
        log_warnings=serverlog.warnings_by_kind(server_log),
    )
