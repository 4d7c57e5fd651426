"""Per-window figures of a load test and the stability verdicts (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.stats import percentile

DRIFT_LIMIT = 1.5  # last full window's p99 at most this multiple of the first's
RSS_GROWTH_LIMIT = 0.10
SPREAD_LIMIT = 3.0  # in every window, p99 at most this multiple of p50 (no long tail of stalls)


@dataclass
class Window:
    index: int
    seconds: float
    requests: int
    by_tag: dict[str, int]
    status: dict[str, int]
    failures: int
    p50_ms: float | None
    p99_ms: float | None
    rss_bytes: int  # all workers together, sampled at the end of the window
    error_bodies: dict[str, list[str]]
    # per kind of request (read, booking, reservation): p50 and p99 in ms, and how many of the
    # window's slowest 1 % it sent - which kind makes the tail
    by_tag_latency: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def spread(self) -> float | None:
        """p99 / p50 of this window (None without answers)."""
        if not self.p50_ms or self.p99_ms is None:
            return None
        return self.p99_ms / self.p50_ms


def window(index: int, outcome: Any, rss_bytes: int) -> Window:
    by_tag: dict[str, int] = {}
    for sample in outcome.samples:
        by_tag[sample[3]] = by_tag.get(sample[3], 0) + 1
    latencies = outcome.latencies_ms
    p99 = percentile(latencies, 99) if latencies else None
    return Window(
        index=index,
        seconds=outcome.elapsed,
        requests=outcome.count,
        by_tag=by_tag,
        status=dict(sorted(outcome.status.items())),
        failures=outcome.failures,
        p50_ms=percentile(latencies, 50) if latencies else None,
        p99_ms=p99,
        rss_bytes=rss_bytes,
        error_bodies=outcome.error_bodies,
        by_tag_latency=_latency_by_tag(outcome.samples, p99),
    )


def _latency_by_tag(samples: list[list[Any]], p99: float | None) -> dict[str, dict[str, float]]:
    """p50/p99 per kind and its share of the answers slower than the window's p99."""
    latencies: dict[str, list[float]] = {}
    for sample in samples:
        latencies.setdefault(sample[3], []).append(sample[1])
    tail = [sample[3] for sample in samples if p99 is not None and sample[1] > p99]
    return {
        tag: {
            "p50_ms": percentile(values, 50),
            "p99_ms": percentile(values, 99),
            "tail_share": tail.count(tag) / len(tail) if tail else 0.0,
        }
        for tag, values in sorted(latencies.items())
    }


def server_errors(windows: list[Window]) -> int:
    return sum(n for w in windows for code, n in w.status.items() if code.startswith("5"))


def p99_drift(windows: list[Window]) -> float | None:
    """Last full window's p99 / first full window's p99 (None with fewer than two)."""
    full = [w for w in windows if w.p99_ms]
    if len(full) < 2:
        return None
    return full[-1].p99_ms / full[0].p99_ms  # type: ignore[operator]


def rss_growth(windows: list[Window]) -> float | None:
    """Growth of the workers' RSS from the end of the warm-up (first) window to the end."""
    if len(windows) < 2 or not windows[0].rss_bytes:
        return None
    return windows[-1].rss_bytes / windows[0].rss_bytes - 1


def widest_spread(windows: list[Window]) -> float | None:
    """The largest p99 / p50 of any window, the warm-up included (None without answers)."""
    spreads = [w.spread for w in windows if w.spread is not None]
    return max(spreads) if spreads else None


def throughput(windows: list[Window]) -> float | None:
    """Answered requests per second over all windows."""
    seconds = sum(w.seconds for w in windows)
    return sum(w.requests for w in windows) / seconds if seconds else None
