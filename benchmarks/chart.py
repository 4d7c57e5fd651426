"""The PNG chart of a run: p50 latency and throughput per endpoint and variant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: files only

import matplotlib.pyplot as plt


def draw(results: dict[str, Any], path: Path) -> Path:
    endpoints = [e["name"] for e in results["endpoints"]]
    variants = list(results["variants"])
    figure, (latency_axis, rps_axis) = plt.subplots(2, 1, figsize=(12, 9), constrained_layout=True)
    width = 0.8 / max(1, len(variants))
    for index, variant in enumerate(variants):
        positions = [n + (index - (len(variants) - 1) / 2) * width for n in range(len(endpoints))]
        p50 = [_value(e, variant, lambda v: v["latency_ms"]["p50"]) for e in results["endpoints"]]
        rps = [_value(e, variant, lambda v: v["rps"]) for e in results["endpoints"]]
        latency_axis.bar(positions, p50, width, label=variant)
        rps_axis.bar(positions, rps, width, label=variant)
    for axis, title in ((latency_axis, "p50 latency (ms, log scale)"), (rps_axis, "requests/s (log scale)")):
        axis.set_yscale("log")
        axis.set_title(title)
        axis.set_xticks(range(len(endpoints)), endpoints, rotation=15)
        axis.grid(axis="y", alpha=0.3)
    latency_axis.legend(ncols=3, fontsize="small")
    meta = results["meta"]
    figure.suptitle(
        f"modular-server benchmarks, {meta['date']}, {meta['database_server']}, scale {meta['config']['scale']}"
    )
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _value(endpoint: dict[str, Any], variant: str, pick: Any) -> float:
    figures = endpoint["variants"].get(variant)
    if figures is None:
        return 0.0
    value = pick(figures)
    return 0.0 if value is None else float(value)
