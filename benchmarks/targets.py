"""The issue's targets, evaluated on a run's figures (met or not, always reported)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from benchmarks.stats import ratio, reduction

#: uncached req/s as a share of the endpoint's own raw-driver floor (issue 15): the batch list
#: is the page the seed is about and must come closest; every other read endpoint at least half
RAW_FLOOR_SHARE = {"batch_list": 0.6}
RAW_FLOOR_SHARE_DEFAULT = 0.5


@dataclass(frozen=True)
class TargetRow:
    target: str  # what the seed / the issue asks
    endpoint: str
    metric: str
    before: float | None
    after: float | None
    ratio: float | None  # after / before (or the figure the target names)
    floor_ratio: float | None  # after / floor
    floor: str | None
    met: bool | None


def _figure(results: dict[str, Any], endpoint: str, variant: str, key: str) -> float | None:
    for item in results["endpoints"]:
        if item["name"] == endpoint:
            figures = item["variants"].get(variant)
            if figures is None:
                return None
            if key.startswith("latency_ms."):
                return figures["latency_ms"][key.split(".", 1)[1]]
            return figures.get(key)
    return None


def evaluate(results: dict[str, Any]) -> list[TargetRow]:
    f = functools.partial(_figure, results)
    rows: list[TargetRow] = []
    endpoints = results["endpoints"]
    for item in endpoints:
        if not item["list_endpoint"]:
            continue
        name = item["name"]
        before, after = f(name, "baseline", "statements_per_request"), f(name, "uncached", "statements_per_request")
        cut = reduction(before, after)
        rows.append(
            TargetRow(
                "statements/request: >= 95 % fewer on list endpoints (seed: >= 60 %)",
                name,
                "statements",
                before,
                after,
                ratio(after, before),
                None,
                None,
                None if cut is None else cut >= 0.95,
            )
        )
    first = results.get("first_page_of_deep", "batch_list")
    candidates = dict.fromkeys(("batch_list", first, "batch_deep_page"))  # first may be batch_list itself
    pages = [name for name in candidates if f(name, "uncached", "statements_min") is not None]
    fewest = {f(name, "uncached", "statements_min") for name in pages}
    rows.append(
        TargetRow(
            "statements/request constant: the same at 100 per page, at the deep page's size, on page 1 and deep",
            " = ".join(pages),
            "fewest statements",
            f(first, "uncached", "statements_min"),
            f("batch_deep_page", "uncached", "statements_min"),
            None,
            None,
            None,
            None if not pages else len(fewest) == 1,
        )
    )
    before, after = f("batch_list", "baseline", "latency_ms.p50"), f("batch_list", "uncached", "latency_ms.p50")
    speedup = ratio(before, after)
    rows.append(
        TargetRow(
            "p50 uncached >= 10x lower on the batch list (seed: >= 50 % lower; origin 932 -> 375 ms)",
            "batch_list",
            "p50 ms",
            before,
            after,
            ratio(after, before),
            ratio(after, f("batch_list", "floor_raw", "latency_ms.p50")),
            "floor_raw p50",
            None if speedup is None else speedup >= 10,
        )
    )
    for item in endpoints:
        name = item["name"]
        before, after = f(name, "baseline", "cpu_ms_per_request"), f(name, "uncached", "cpu_ms_per_request")
        cut = reduction(before, after)
        rows.append(
            TargetRow(
                "server CPU/request >= 70 % lower (seed: >= 30 % less load)",
                name,
                "CPU ms/request",
                before,
                after,
                ratio(after, before),
                ratio(after, f(name, "floor_raw", "cpu_ms_per_request")),
                "floor_raw CPU",
                None if cut is None else cut >= 0.70,
            )
        )
    rows += floor_rows(results)
    rows += write_rows(results)
    cached, floor = f("batch_list", "cached", "rps"), f("batch_list", "floor_bytes", "rps")
    share = ratio(cached, floor)
    rows.append(
        TargetRow(
            "cached batch list >= 70 % of the bare-bytes floor's throughput",
            "batch_list",
            "req/s",
            f("batch_list", "baseline", "rps"),
            cached,
            ratio(cached, f("batch_list", "baseline", "rps")),
            share,
            "floor_bytes req/s",
            None if share is None else share >= 0.7,
        )
    )
    first_p50, deep_p50 = f(first, "uncached", "latency_ms.p50"), f("batch_deep_page", "uncached", "latency_ms.p50")
    slowdown = ratio(deep_p50, first_p50)
    rows.append(
        TargetRow(
            "deep page within 1.5x of the first page (p50, uncached)",
            "batch_deep_page",
            "p50 ms",
            first_p50,
            deep_p50,
            slowdown,
            ratio(deep_p50, f("batch_deep_page", "floor_raw", "latency_ms.p50")),
            "floor_raw p50",
            None if slowdown is None else slowdown <= 1.5,
        )
    )
    base_first = f(first, "baseline", "latency_ms.p50")
    base_deep = f("batch_deep_page", "baseline", "latency_ms.p50")
    rows.append(
        TargetRow(
            "(for comparison) baseline deep page vs its first page (OFFSET)",
            "batch_deep_page",
            "p50 ms",
            base_first,
            base_deep,
            ratio(base_deep, base_first),
            None,
            None,
            None,
        )
    )
    nomon, mon = f("batch_list", "uncached_nomon", "rps"), f("batch_list", "uncached", "rps")
    cost = reduction(nomon, mon)
    rows.append(
        TargetRow(
            "monitoring costs < 10 % throughput (design target)",
            "batch_list",
            "req/s",
            nomon,
            mon,
            ratio(mon, nomon),
            None,
            None,
            None if cost is None else cost < 0.10,
        )
    )
    return rows


def write_rows(results: dict[str, Any]) -> list[TargetRow]:
    """Per write endpoint: CPU per request against the "before" app's and, where measured,
    against its raw-driver floor running the same statements in one transaction."""
    f = functools.partial(_figure, results)
    rows = []
    for item in results["endpoints"]:
        name = item["name"]
        if not item["write"]:
            continue
        items = item.get("items", 1)
        before = f(item.get("before_endpoint") or name, "baseline", "cpu_ms_per_request")
        per_request, raw = f(name, "uncached", "cpu_ms_per_request"), f(name, "floor_raw", "cpu_ms_per_request")
        after = None if per_request is None else per_request / items
        share = ratio(after, before)
        rows.append(
            TargetRow(
                "writes: server CPU/request at most the before app's (issue 15)",
                name,
                "CPU ms/request" if items == 1 else "CPU ms/movement (before: one booking)",
                before,
                after,
                share,
                ratio(per_request, raw),
                "floor_raw CPU" if raw is not None else None,
                None if share is None else share <= 1.0,
            )
        )
        if raw is None:
            continue
        after = per_request
        over_floor = ratio(after, raw)
        rows.append(
            TargetRow(
                "writes: server CPU/request at most 2x the raw floor running the same statements (issue 15)",
                name,
                "CPU ms/request",
                raw,
                after,
                over_floor,
                over_floor,
                "floor_raw CPU",
                None if over_floor is None else over_floor <= 2.0,
            )
        )
    return rows


def floor_rows(results: dict[str, Any]) -> list[TargetRow]:
    """One row per read endpoint measured both uncached and on its raw-driver floor."""
    f = functools.partial(_figure, results)
    rows = []
    for item in results["endpoints"]:
        name = item["name"]
        uncached, raw = f(name, "uncached", "rps"), f(name, "floor_raw", "rps")
        if item["write"] or uncached is None or raw is None:
            continue
        wanted = RAW_FLOOR_SHARE.get(name, RAW_FLOOR_SHARE_DEFAULT)
        share = ratio(uncached, raw)
        rows.append(
            TargetRow(
                f"uncached >= {wanted:g}x its raw-driver floor's req/s (issue 15)",
                name,
                "req/s",
                f(name, "baseline", "rps"),
                uncached,
                ratio(uncached, f(name, "baseline", "rps")),
                share,
                "floor_raw req/s",
                None if share is None else share >= wanted,
            )
        )
    return rows
