import math

import pytest

from modular_server.plugins.monitoring.histogram import (
    BUCKET_COUNT,
    MAX_RELATIVE_ERROR,
    PROMETHEUS_BOUNDS,
    Histogram,
    bucket_index,
    upper_bound,
)


def exact_percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: the value at rank ceil(q * n)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def test_bucket_bounds_are_upper_inclusive_and_clamped():
    assert bucket_index(0.0) == 0
    assert bucket_index(1e-4) == 0
    assert bucket_index(1.01e-4) == 1
    assert bucket_index(2e-4) == 8  # every eighth bound doubles
    assert bucket_index(2.01e-4) == 9
    assert bucket_index(1e6) == BUCKET_COUNT - 1
    for index in (1, 8, 50, 100):
        assert bucket_index(upper_bound(index) * 0.999999) == index
        assert bucket_index(upper_bound(index) * 1.000001) == index + 1


@pytest.mark.parametrize(
    "values",
    [
        [i / 1000 for i in range(1, 1001)],  # 1 .. 1000 ms, uniform
        [0.005] * 90 + [0.5] * 9 + [3.0],  # a fast mode, a slow tail, one outlier
        [0.0123],  # a single value is reported exactly
    ],
)
def test_percentiles_match_known_inputs_within_the_bucket_resolution(values):
    histogram = Histogram()
    for v in values:
        histogram.record(v)
    for q in (0.5, 0.95, 0.99, 1.0):
        expected = exact_percentile(values, q)
        assert histogram.percentile(q) == pytest.approx(expected, rel=MAX_RELATIVE_ERROR)
    assert histogram.count == len(values)
    assert histogram.mean == pytest.approx(sum(values) / len(values))
    assert histogram.maximum == max(values) and histogram.minimum == min(values)


def test_identical_values_give_that_value_for_every_percentile():
    histogram = Histogram()
    for _ in range(50):
        histogram.record(0.042)
    assert histogram.percentile(0.5) == histogram.percentile(0.99) == 0.042


def test_empty_histogram_has_no_percentiles():
    assert Histogram().percentile(0.5) is None
    assert Histogram().mean is None


def test_merge_equals_recording_everything_in_one():
    left, right, both = Histogram(), Histogram(), Histogram()
    for i in range(1, 200):
        (left if i % 3 else right).record(i / 7000)
        both.record(i / 7000)
    left.merge(right)
    assert left.counts == both.counts
    assert left.count == both.count and left.total == pytest.approx(both.total)
    assert (left.minimum, left.maximum) == (both.minimum, both.maximum)
    assert left.percentile(0.95) == both.percentile(0.95)


def test_json_round_trip_keeps_everything():
    histogram = Histogram()
    for v in (0.001, 0.002, 0.002, 0.5):
        histogram.record(v)
    again = Histogram.from_json(histogram.to_json())
    assert again.counts == histogram.counts
    assert (again.count, again.total, again.minimum, again.maximum) == (4, histogram.total, 0.001, 0.5)
    assert Histogram.from_json(Histogram().to_json()).count == 0


def test_prometheus_buckets_are_exact_cumulative_counts():
    histogram = Histogram()
    values = [0.0003, 0.0004, 0.0009, 0.05, 0.05, 2.0, 50.0]
    for v in values:
        histogram.record(v)
    bounds = [upper_bound(i) for i in PROMETHEUS_BOUNDS]
    assert bounds[0] == pytest.approx(0.0004) and bounds[-1] == pytest.approx(13.1072)
    assert histogram.cumulative(PROMETHEUS_BOUNDS) == [sum(v <= b * (1 + 1e-9) for v in values) for b in bounds]
