"""A fixed-size latency histogram: log-spaced buckets, bounded memory, mergeable.

Bucket ``i`` (i >= 1) holds durations in ``(SMALLEST * 2**((i-1)/8), SMALLEST * 2**(i/8)]``;
bucket 0 holds everything up to ``SMALLEST``, the last one everything above its lower bound.
Eight buckets per doubling bound the relative error of a percentile estimate by
``2**(1/8) - 1`` (about 9 %). Every eighth bound is a power-of-two multiple of SMALLEST; those
bounds are the Prometheus ``le`` values, so the exported buckets are exact, not estimated.
"""

from __future__ import annotations

import math
from typing import Any

SMALLEST_SECONDS = 1e-4
STEPS_PER_DOUBLING = 8
BUCKET_COUNT = 1 + 20 * STEPS_PER_DOUBLING  # up to ~105 s
MAX_RELATIVE_ERROR = 2 ** (1 / STEPS_PER_DOUBLING) - 1
#: fine-bucket indexes whose upper bounds are exported as Prometheus buckets (0.4 ms .. 13.1 s)
PROMETHEUS_BOUNDS = tuple(range(2 * STEPS_PER_DOUBLING, 18 * STEPS_PER_DOUBLING, STEPS_PER_DOUBLING))


def bucket_index(seconds: float) -> int:
    if seconds <= SMALLEST_SECONDS:
        return 0
    index = math.ceil(math.log2(seconds / SMALLEST_SECONDS) * STEPS_PER_DOUBLING)
    return index if index < BUCKET_COUNT else BUCKET_COUNT - 1


def upper_bound(index: int) -> float:
    return SMALLEST_SECONDS * 2 ** (index / STEPS_PER_DOUBLING)


class Histogram:
    """Counts per bucket plus exact count, sum, min and max (which clamp the estimates)."""

    __slots__ = ("count", "counts", "maximum", "minimum", "total")

    def __init__(self) -> None:
        self.counts = [0] * BUCKET_COUNT
        self.count = 0
        self.total = 0.0
        self.minimum = math.inf
        self.maximum = 0.0

    def record(self, seconds: float) -> None:
        self.counts[bucket_index(seconds)] += 1
        self.count += 1
        self.total += seconds
        if seconds < self.minimum:
            self.minimum = seconds
        if seconds > self.maximum:
            self.maximum = seconds

    def merge(self, other: Histogram) -> None:
        if not other.count:
            return
        mine = self.counts
        for index, n in enumerate(other.counts):
            if n:
                mine[index] += n
        self.count += other.count
        self.total += other.total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)

    def percentile(self, q: float) -> float | None:
        """The q-quantile (0 < q <= 1), interpolated inside its bucket; None when empty."""
        if not self.count:
            return None
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for index, n in enumerate(self.counts):
            if n and seen + n >= rank:
                lower = upper_bound(index - 1) if index else 0.0
                estimate = lower + (upper_bound(index) - lower) * (rank - seen) / n
                return min(max(estimate, self.minimum), self.maximum)
            seen += n
        return self.maximum

    def cumulative(self, indexes: tuple[int, ...]) -> list[int]:
        """Cumulative counts at the upper bounds of ``indexes`` (ascending)."""
        found, running, position = [], 0, 0
        for index in indexes:
            while position <= index:
                running += self.counts[position]
                position += 1
            found.append(running)
        return found

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": {str(i): n for i, n in enumerate(self.counts) if n},
            "sum": self.total,
            "min": self.minimum if self.count else None,
            "max": self.maximum if self.count else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Histogram:
        histogram = cls()
        if not data:
            return histogram
        for index, n in data.get("counts", {}).items():
            histogram.counts[int(index)] += int(n)
        histogram.count = sum(histogram.counts)
        histogram.total = float(data.get("sum") or 0.0)
        if histogram.count:
            histogram.minimum = float(data["min"])
            histogram.maximum = float(data["max"])
        return histogram
