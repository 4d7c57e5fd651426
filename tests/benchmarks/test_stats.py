from __future__ import annotations

import pytest
from benchmarks.probe import evenly
from benchmarks.rawsql import positional
from benchmarks.scenarios import deep_page_plan
from benchmarks.stats import latency_summary, percentile, ratio, reduction
from benchmarks.variants import BASELINE, CACHED, UNCACHED, interleave


def test_percentiles_interpolate_between_closest_ranks() -> None:
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4], 0) == 1
    assert percentile([1, 2, 3, 4], 100) == 4
    assert percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert percentile([7], 95) == 7


def test_percentile_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1], 101)


def test_latency_summary() -> None:
    summary = latency_summary([10.0, 20.0, 30.0, 40.0])
    assert summary == {"p50": 25.0, "p95": 38.5, "p99": pytest.approx(39.7), "mean": 25.0, "max": 40.0}
    assert latency_summary([]) == {"p50": None, "p95": None, "p99": None, "mean": None, "max": None}


def test_ratio_and_reduction_know_unknowns() -> None:
    assert ratio(5, 10) == 0.5
    assert ratio(None, 10) is None
    assert ratio(5, 0) is None
    assert reduction(200, 10) == 0.95
    assert reduction(0, 10) is None


def test_interleaving_visits_every_variant_once_per_round_in_the_same_order() -> None:
    order = interleave([BASELINE, UNCACHED, CACHED], 3)
    assert [(r, v.name) for r, v in order] == [
        (r, name) for r in range(3) for name in ("baseline", "uncached", "cached")
    ]
    with pytest.raises(ValueError):
        interleave([BASELINE], 0)


def test_deep_page_plan_prefers_page_500() -> None:
    assert deep_page_plan(100_000) == (500, 100)
    assert deep_page_plan(20_000) == (500, 40)
    assert deep_page_plan(3_000) == (500, 6)
    assert deep_page_plan(120) == (120, 1)


def test_evenly_spread_samples() -> None:
    assert evenly(list(range(10)), 5) == [0, 2, 4, 6, 8]
    assert evenly([1, 2], 5) == [1, 2]


def test_named_parameters_become_positional_for_each_driver() -> None:
    sql = "SELECT * FROM t WHERE a = :a AND b::text = :b AND c = :a"
    assert positional(sql, {"a": 1, "b": 2}, "numeric") == (
        "SELECT * FROM t WHERE a = $1 AND b::text = $2 AND c = $3",
        [1, 2, 1],
    )
    assert positional(sql, {"a": 1, "b": 2}, "qmark")[0] == "SELECT * FROM t WHERE a = ? AND b::text = ? AND c = ?"
