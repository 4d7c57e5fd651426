"""The per-route counters are defined once (:mod:`modular_server.plugins.monitoring.counters`);
the recorder's figures, the persisted window rows, the API's aggregates and the /metrics totals
all follow that one definition, and their answers stay byte for byte what they were."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import generate_latest

from modular_server.plugins.monitoring import counters, service, summary
from modular_server.plugins.monitoring.metrics import TotalsCollector, build_registry
from modular_server.plugins.monitoring.models import RouteWindow
from modular_server.plugins.monitoring.recorder import RouteFigures, RouteKey
from modular_server.plugins.monitoring.totals import LocalTotals, _apply, _fields

GOLDEN = Path(__file__).parent / "golden"
BUCKET = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _figures(seed: int) -> RouteFigures:
    """Deterministic figures with every counter set (different per seed)."""
    figures = RouteFigures()
    figures.status_classes[:] = [0, 3 + seed, 1, 2 * seed, seed % 2]
    figures.statements = 11 * (seed + 1)
    figures.max_statements = 4 + seed
    figures.db_time_us = 12_345 * (seed + 1)
    figures.cache_hits = 2 + seed
    figures.cache_misses = 1
    figures.n_plus_one = seed
    figures.slow_queries = 1 + seed
    for i in range(figures.requests):
        figures.latency.record(0.0013 * (i + 1) * (seed + 1))
    return figures


def _snapshots() -> list[dict[RouteKey, RouteFigures]]:
    return [
        {("GET", "/api/v1/artikel"): _figures(0), ("POST", "/api/v1/chargen"): _figures(1)},
        {("GET", "/api/v1/artikel"): _figures(2), ("-", "(background)"): _figures(3)},
    ]


async def _metrics() -> bytes:
    totals = LocalTotals()
    for snapshot in _snapshots():
        await totals.add(snapshot)
    collector = TotalsCollector()
    collector.load(*await totals.read())
    return generate_latest(build_registry(collector))


def _windows() -> list[RouteWindow]:
    rows: dict[RouteKey, RouteWindow] = {}
    for snapshot in _snapshots():
        for (method, route), figures in snapshot.items():
            row = rows.get((method, route))
            if row is None:
                row = rows[(method, route)] = service._empty_window(BUCKET, "w1", method, route)
            service._add(row, figures)
    return list(rows.values())


async def test_metrics_output_is_byte_identical_to_the_recorded_one():
    assert (await _metrics()).decode() == (GOLDEN / "metrics.txt").read_text()


def test_route_stats_json_is_byte_identical_to_the_recorded_one():
    stats = summary.per_route(_windows(), with_series=True)
    answer = "[" + ",".join(s.model_dump_json() for s in stats) + "]"
    assert answer == (GOLDEN / "route_stats.json").read_text()
    assert summary.total(_windows()).cache_hit_ratio == 0.7778


def test_redis_fields_round_trip_every_additive_counter():
    original = _figures(2)
    back = RouteFigures()
    for name, amount in _fields(original):
        _apply(back, name, amount)
    back.latency.count = sum(back.latency.counts)
    for name in counters.ADDITIVE:
        assert getattr(back, name) == getattr(original, name)
    assert back.status_classes == original.status_classes and back.latency.counts == original.latency.counts
    # the maximum cannot be added up in a shared hash: /metrics does not show it
    assert back.max_statements == 0


def test_every_counter_is_a_window_column_and_merges_by_its_rule():
    columns = set(RouteWindow.__table__.columns.keys())
    assert {name for name, _ in counters.MERGES} <= columns
    assert [f.name for f in fields(counters.Counters)] == [name for name, _ in counters.MERGES]
    a, b = _figures(0), _figures(3)
    a.merge(b)
    assert a.max_statements == max(_figures(0).max_statements, b.max_statements)
    assert a.statements == _figures(0).statements + b.statements
