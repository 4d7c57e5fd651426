"""Per (endpoint, variant) figures, accumulated over the interleaved segments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.loadgen import Outcome
from benchmarks.stats import latency_summary

STATEMENTS_HEADER = "x-query-count"
CACHE_HEADER = "x-cache"


@dataclass
class Measurement:
    count: int = 0
    elapsed: float = 0.0
    failures: int = 0
    failure_messages: list[str] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    server_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    statements: list[float] | None = None  # [sum, answers, min, max]
    cache: dict[str, int] = field(default_factory=dict)
    segments: int = 0

    def add(self, outcome: Outcome, server_cpu_seconds: float) -> None:
        self.segments += 1
        self.count += outcome.count
        self.elapsed += outcome.elapsed
        self.failures += outcome.failures
        self.failure_messages = (self.failure_messages + outcome.failure_messages)[:5]
        for code, n in outcome.status.items():
            self.status[code] = self.status.get(code, 0) + n
        self.latencies_ms.extend(outcome.latencies_ms)
        self.server_cpu_seconds += server_cpu_seconds
        self.client_cpu_seconds += outcome.client_cpu_seconds
        seen = outcome.header_sums.get(STATEMENTS_HEADER)
        if seen is not None:
            if self.statements is None:
                self.statements = list(seen)
            else:
                total, answers, low, high = self.statements
                self.statements = [total + seen[0], answers + seen[1], min(low, seen[2]), max(high, seen[3])]
        for value, n in outcome.header_tally.get(CACHE_HEADER, {}).items():
            self.cache[value] = self.cache.get(value, 0) + n

    def summary(self, peak_rss_bytes: int | None) -> dict[str, Any]:
        ok = sum(n for code, n in self.status.items() if code.startswith("2"))
        hits = sum(n for value, n in self.cache.items() if value.upper().startswith("HIT"))
        return {
            "requests": self.count,
            "ok": ok,
            "status": dict(sorted(self.status.items())),
            "failures": self.failures,
            "failure_messages": self.failure_messages,
            "seconds": round(self.elapsed, 3),
            "rps": self.count / self.elapsed if self.elapsed else None,
            "latency_ms": latency_summary(self.latencies_ms),
            "statements_per_request": None if self.statements is None else self.statements[0] / self.statements[1],
            "statements_min": None if self.statements is None else self.statements[2],
            "statements_max": None if self.statements is None else self.statements[3],
            "cpu_ms_per_request": 1000 * self.server_cpu_seconds / self.count if self.count else None,
            "server_cpu_share": self.server_cpu_seconds / self.elapsed if self.elapsed else None,
            "client_cpu_share": self.client_cpu_seconds / self.elapsed if self.elapsed else None,
            "peak_rss_mb": None if peak_rss_bytes is None else peak_rss_bytes / 2**20,
            "cache_hit_ratio": hits / sum(self.cache.values()) if self.cache else None,
            "segments": self.segments,
        }
