"""latest.md and latest.json from a run's figures (the PNG comes from :mod:`benchmarks.chart`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.stats import ratio
from benchmarks.targets import TargetRow, evaluate

RESULTS_DIR = Path(__file__).parent / "results"
MET = {True: "met", False: "**not met**", None: "n/a"}


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def factor(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}x"


def write_result_files(directory: Path, stem: str, document: dict[str, Any], text: str) -> list[Path]:
    """``<stem>.json`` (the raw figures) and ``<stem>.md`` (the report) in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{stem}.json", directory / f"{stem}.md"]
    paths[0].write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    paths[1].write_text(text, encoding="utf-8")
    return paths


def write(results: dict[str, Any], directory: Path = RESULTS_DIR, *, chart: bool = True) -> list[Path]:
    rows = evaluate(results)
    document = {**results, "targets": [row.__dict__ for row in rows]}
    paths = write_result_files(directory, "latest", document, markdown(results, rows))
    if chart:
        from benchmarks.chart import draw

        paths.append(draw(results, directory / "latest.png"))
    return paths


def markdown(results: dict[str, Any], rows: list[TargetRow]) -> str:
    meta = results["meta"]
    machine = meta["machine"]
    config = meta["config"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {meta['date']} on {machine['cpu']} ({machine['logical_cpus']} logical CPUs, "
        f"{machine['memory_gb']} GB), {machine['system']}, Python {machine['python']}, "
        f"{meta['database_server']}. Dataset: `demo-data --scale {config['scale']}` "
        f"({', '.join(f'{t} {n:,}' for t, n in meta['rows'].items())}).",
        "",
        f"Load: {config['concurrency']} concurrent keep-alive connections from a separate process over loopback, "
        f"{number(config['duration'])} s per endpoint and variant in {config['rounds']} interleaved rounds "
        f"(A B C ... A B C ...) after {number(config['warmup'])} s warm-up each. Every server is its own process "
        "(uvicorn, 1 worker, access log off); CPU is the server process's user+system time (psutil), "
        "peak RSS its VmHWM over the whole run. Reproduce: `make bench` (or `python -m benchmarks`).",
        "",
        "## Targets",
        "",
        "| target | endpoint | metric | before | after | ratio | floor ratio | met |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        floor = "-" if row.floor_ratio is None else f"{factor(row.floor_ratio)} of {row.floor}"
        lines.append(
            f"| {row.target} | {row.endpoint} | {row.metric} | {number(row.before, 2)} | {number(row.after, 2)} "
            f"| {factor(row.ratio)} | {floor} | {MET[row.met]} |"
        )
    lines += ["", "## Every endpoint and variant", ""]
    for item in results["endpoints"]:
        lines += _endpoint_table(item, results["variants"])
    lines += ["## Variants", ""]
    lines += [f"* `{name}` - {label}" for name, label in results["variants"].items()]
    lines += ["", *_notes(results), ""]
    return "\n".join(lines)


def _endpoint_table(item: dict[str, Any], labels: dict[str, str]) -> list[str]:
    variants = item["variants"]
    bytes_rps = (variants.get("floor_bytes") or {}).get("rps")
    raw_rps = (variants.get("floor_raw") or {}).get("rps")
    lines = [
        f"### {item['name']}: {item['title']}",
        "",
        "| variant | req/s | p50 ms | p95 ms | p99 ms | statements/req | CPU ms/req | peak RSS MB "
        "| req/s vs bytes floor | req/s vs raw floor | cache hits | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, v in variants.items():
        latency = v["latency_ms"]
        non_ok = v["requests"] - v["ok"] + v["failures"]
        hits = "-" if v["cache_hit_ratio"] is None else f"{100 * v['cache_hit_ratio']:.0f} %"
        lines.append(
            f"| {name} | {number(v['rps'])} | {number(latency['p50'], 2)} | {number(latency['p95'], 2)} "
            f"| {number(latency['p99'], 2)} | {_statements(v)} "
            f"| {number(v['cpu_ms_per_request'], 2)} | {number(v['peak_rss_mb'])} "
            f"| {factor(ratio(v['rps'], bytes_rps))} | {factor(ratio(v['rps'], raw_rps))} | {hits} | {non_ok} |"
        )
    lines += [*[f"> {note}" for note in item["notes"]], ""]
    return lines


def _statements(figures: dict[str, Any]) -> str:
    """Mean statements per request, with the range when it varied (e.g. a periodic key check)."""
    mean, low, high = figures["statements_per_request"], figures["statements_min"], figures["statements_max"]
    if mean is None:
        return "-"
    return number(mean) if low == high else f"{number(mean, 2)} ({number(low, 0)}-{number(high, 0)})"


def _notes(results: dict[str, Any]) -> list[str]:
    notes = ["## Notes", ""]
    saturated = [
        f"{item['name']}/{name}"
        for item in results["endpoints"]
        for name, v in item["variants"].items()
        if (v["client_cpu_share"] or 0) > 0.9
    ]
    if saturated:
        notes.append(
            "* The load generator used more than 90 % of a CPU for: "
            + ", ".join(saturated)
            + " - these figures may be bounded by the client, not the server."
        )
    failing = [
        f"{item['name']}/{name} ({v['status']}, {v['failures']} without answer)"
        for item in results["endpoints"]
        for name, v in item["variants"].items()
        if v["ok"] < v["requests"] or v["failures"]
    ]
    if failing:
        notes.append("* Not every answer was 2xx: " + "; ".join(failing) + ".")
    notes += [
        "* `statements/req` comes from the `X-Query-Count` header: the product's monitoring plugin sets it, the "
        "baseline counts with a SQLAlchemy event listener; variants without monitoring show -.",
        "* The baseline runs on its own copy of the dataset without the product's secondary (non-unique) indexes "
        "on the inventory tables; primary keys and unique constraints stay. The product and the raw floor use "
        "the product's copy with every index its migrations create.",
        "* Both servers get the same machine; the load generator shares it (2 processes on the same cores), which "
        "lowers absolute throughput for every variant alike.",
    ]
    return notes
