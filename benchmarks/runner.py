"""One benchmark run: databases, servers, interleaved load segments, figures."""

from __future__ import annotations

import json
import logging
import os
import platform
import tempfile
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from benchmarks import dataset, scenarios, writes
from benchmarks.loadgen import LoadGenerator, Spec
from benchmarks.measure import Measurement
from benchmarks.probe import Facts, probe
from benchmarks.servers import LOOPBACK, ServerProcess
from benchmarks.variants import DEFAULT_VARIANTS, VARIANTS, Variant, interleave, server_spec

log = logging.getLogger("benchmarks")
LOG_DIR = dataset.DATA_DIR / "logs"  # each server's output of the latest run, kept for inspection


@dataclass(frozen=True)
class RunConfig:
    scale: int = 10
    duration: float = 10.0  # seconds of load per endpoint and variant, split over the rounds
    rounds: int = 4
    concurrency: int = 8
    max_requests: int = 100_000  # per segment
    warmup: float = 1.0  # seconds per endpoint and variant, not measured
    timeout: float = 300.0  # per request: the baseline's slowest pages take long
    variants: tuple[str, ...] = DEFAULT_VARIANTS
    endpoints: tuple[str, ...] = ()  # empty: all


def run(config: RunConfig) -> dict[str, Any]:
    databases = dataset.databases_for(config.scale)
    log.info("dataset: %s (scale %d)", databases.pristine, config.scale)
    dataset.ensure_pristine(databases, config.scale)
    dataset.copy_for_run(databases)
    try:
        return _measure(config, databases)
    finally:
        dataset.remove_run_copies(databases)


def _measure(config: RunConfig, databases: dataset.Databases) -> dict[str, Any]:
    token = dataset.modular_server(
        databases.product, "keys", "create", "--name", "bench", "--scope", "admin", "--replace", "--quiet", capture=True
    ).split()[-1]
    facts = probe(databases.product)
    chosen = [v for v in VARIANTS if v.name in config.variants]
    with tempfile.TemporaryDirectory(prefix="modular-bench-") as tmp:
        work_dir = Path(tmp)
        servers: dict[str, ServerProcess] = {}
        try:
            for variant in chosen:
                if variant.family != "bytes":
                    servers[variant.name] = _start(variant, databases, work_dir)
            for name, server in servers.items():
                if not server.wait_quiet():
                    log.warning("%s still busy on its own after 10 minutes: its figures include that work", name)
            reference = next(s for v, s in servers.items() if _variant(v).family == "product")
            endpoints = _endpoints(config, facts, reference.base_url, token)
            _store_floor_bytes(endpoints, reference.base_url, token, work_dir)
            for variant in chosen:
                if variant.family == "bytes":
                    servers[variant.name] = _start(variant, databases, work_dir)
            results = _load(config, chosen, endpoints, servers, token)
            peaks = {name: server.peak_rss_bytes() for name, server in servers.items()}
        finally:
            for server in servers.values():
                server.stop()
    return {
        "meta": _meta(config, databases, facts, endpoints),
        "endpoints": [
            {
                "name": e.name,
                "title": e.title,
                "write": e.write,
                "list_endpoint": e.list_endpoint,
                "notes": e.notes,
                "items": e.items,
                "before_endpoint": e.before_endpoint,
                "variants": {
                    name: measurement.summary(peaks.get(name)) for name, measurement in results[e.name].items()
                },
            }
            for e in endpoints
        ],
        "variants": {v.name: v.label for v in chosen},
        "first_page_of_deep": scenarios.first_page_of_deep(endpoints),
    }


def _variant(name: str) -> Variant:
    return next(v for v in VARIANTS if v.name == name)


def _start(variant: Variant, databases: dataset.Databases, work_dir: Path) -> ServerProcess:
    server = ServerProcess(server_spec(variant, databases, work_dir), LOG_DIR)
    server.start()
    log.info("started %s on port %d (pid %d)", variant.name, server.port, server.pid)
    return server


def _endpoints(config: RunConfig, facts: Facts, product_url: str, token: str) -> list[scenarios.Endpoint]:
    number, limit = scenarios.deep_page_plan(facts.chargen)
    deep = scenarios.walk_to_page(product_url, token, number, limit)
    stichtag = datetime.now(UTC).date().isoformat()
    endpoints = scenarios.read_endpoints(facts, deep, stichtag) + writes.write_endpoints(facts)
    if config.endpoints:
        endpoints = [e for e in endpoints if e.name in config.endpoints]
    return endpoints


def _store_floor_bytes(endpoints: list[scenarios.Endpoint], product_url: str, token: str, work_dir: Path) -> None:
    """The product's answer to each read endpoint's first request, for the bytes floor."""
    bodies = {}
    for endpoint in endpoints:
        if endpoint.write:
            continue
        request = urllib.request.Request(
            product_url + endpoint.requests["product"][0]["path"], headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=120) as answer:
            bodies[endpoint.name] = answer.read().decode("utf-8")
        endpoint.requests["bytes"] = [scenarios.get(f"/floor/{endpoint.name}")]
    (work_dir / "floor-bytes.json").write_text(json.dumps(bodies), encoding="utf-8")


def _spec(config: RunConfig, server: ServerProcess, requests: list[dict[str, Any]], token: str, seconds: float) -> Spec:
    headers = {"Authorization": f"Bearer {token}"}
    return Spec(
        host=LOOPBACK,
        port=server.port,
        requests=[{**r, "headers": {**headers, **r.get("headers", {})}} for r in requests],
        concurrency=config.concurrency,
        duration=seconds,
        max_requests=config.max_requests,
        timeout=config.timeout,
    )


def _load(
    config: RunConfig,
    chosen: list[Variant],
    endpoints: list[scenarios.Endpoint],
    servers: dict[str, ServerProcess],
    token: str,
) -> dict[str, dict[str, Measurement]]:
    results: dict[str, dict[str, Measurement]] = {}
    segment = config.duration / config.rounds
    with LoadGenerator() as load:
        for endpoint in endpoints:
            measured = [v for v in chosen if v.family in endpoint.requests]
            results[endpoint.name] = {v.name: Measurement() for v in measured}
            for variant in measured:  # warm-up: connections, caches, JIT-less Python paths
                server = servers[variant.name]
                load.run(_spec(config, server, endpoint.requests[variant.family], token, config.warmup))
            for round_, variant in interleave(measured, config.rounds):
                server = servers[variant.name]
                cpu_before = server.cpu_seconds()
                outcome = load.run(_spec(config, server, endpoint.requests[variant.family], token, segment))
                results[endpoint.name][variant.name].add(outcome, server.cpu_seconds() - cpu_before)
                log.info("%s %s round %d: %d requests", endpoint.name, variant.name, round_, outcome.count)
    return results


def _meta(
    config: RunConfig, databases: dataset.Databases, facts: Facts, endpoints: list[scenarios.Endpoint]
) -> dict[str, Any]:
    memory = psutil.virtual_memory().total
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": asdict(config),
        "backend": databases.backend,
        "database_server": facts.server_version,
        "rows": facts.rows,
        "machine": {
            "cpu": _cpu_model(),
            "logical_cpus": os.cpu_count(),
            "memory_gb": round(memory / 2**30, 1),
            "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(),
        },
        "endpoints": [e.name for e in endpoints],
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"
