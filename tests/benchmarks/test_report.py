"""Report writing and target evaluation on synthetic figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.report import markdown, write
from benchmarks.targets import evaluate


def figures(rps: float, p50: float, statements: float | None, cpu_ms: float, **extra: Any) -> dict[str, Any]:
    return {
        "requests": 100,
        "ok": 100,
        "status": {"200": 100},
        "failures": 0,
        "failure_messages": [],
        "seconds": 1.0,
        "rps": rps,
        "latency_ms": {"p50": p50, "p95": p50 * 2, "p99": p50 * 3, "mean": p50, "max": p50 * 4},
        "statements_per_request": statements,
        "statements_min": statements,
        "statements_max": statements,
        "cpu_ms_per_request": cpu_ms,
        "server_cpu_share": 0.9,
        "client_cpu_share": 0.5,
        "peak_rss_mb": 100.0,
        "cache_hit_ratio": None,
        "segments": 4,
    } | extra


def endpoint(name: str, list_endpoint: bool, **variants: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "title": name, "write": False, "list_endpoint": list_endpoint, "notes": []} | {
        "variants": variants
    }


def results() -> dict[str, Any]:
    return {
        "meta": {
            "date": "2026-11-28T12:00:00+00:00",
            "config": {"scale": 1, "duration": 4.0, "rounds": 2, "concurrency": 8, "warmup": 1.0},
            "backend": "sqlite",
            "database_server": "sqlite 3.40.1",
            "rows": {"charge": 3000},
            "machine": {"cpu": "Test CPU", "logical_cpus": 2, "memory_gb": 8, "system": "Linux", "python": "3.11"},
        },
        "variants": {name: name for name in ("baseline", "uncached", "cached", "floor_bytes", "floor_raw")},
        "first_page_of_deep": "batch_list",
        "endpoints": [
            endpoint(
                "batch_list",
                True,
                baseline=figures(10, 800, 201, 100),
                uncached=figures(400, 20, 2, 5),
                cached=figures(3000, 2, 0, 0.5, cache_hit_ratio=0.99),
                floor_bytes=figures(4000, 1, None, 0.2),
                floor_raw=figures(700, 10, None, 1.5),
            ),
            endpoint(
                "batch_deep_page",
                True,
                baseline=figures(5, 1600, 201, 150),
                uncached=figures(390, 21, 2, 5.1),
                floor_raw=figures(690, 10, None, 1.5),
            ),
        ],
    }


def test_targets_are_evaluated_met_or_not() -> None:
    rows = {(r.target.split(":")[0].split(" ")[0], r.endpoint): r for r in evaluate(results())}
    statements = rows[("statements/request", "batch_list")]
    assert (statements.before, statements.after, statements.met) == (201, 2, True)
    p50 = rows[("p50", "batch_list")]
    assert p50.ratio == 20 / 800 and p50.met is True
    raw_share = rows[("uncached", "batch_list")]
    assert raw_share.floor_ratio == 400 / 700 and raw_share.met is False  # the batch list needs 0.6x
    assert raw_share.target.startswith("uncached >= 0.6x")
    deep_share = rows[("uncached", "batch_deep_page")]
    assert deep_share.floor_ratio == 390 / 690 and deep_share.met is True  # every other read endpoint 0.5x
    assert deep_share.target.startswith("uncached >= 0.5x")
    cached_share = rows[("cached", "batch_list")]
    assert cached_share.floor_ratio == 0.75 and cached_share.met is True
    deep = rows[("deep", "batch_deep_page")]
    assert deep.ratio == 21 / 20 and deep.met is True
    cpu = rows[("server", "batch_deep_page")]
    assert cpu.met is True and cpu.after == 5.1
    constant = rows[("statements/request", "batch_list = batch_deep_page")]
    assert (constant.before, constant.after, constant.met) == (2, 2, True)
    monitoring = rows[("monitoring", "batch_list")]
    assert monitoring.met is None  # no run without monitoring: not claimed


def test_a_missed_target_says_no() -> None:
    slow = results()
    slow["endpoints"][0]["variants"]["uncached"] = figures(40, 200, 30, 50)
    rows = {r.target: r for r in evaluate(slow) if r.endpoint == "batch_list"}
    assert [r.met for t, r in rows.items() if t.startswith("p50")] == [False]
    assert [r.met for t, r in rows.items() if t.startswith("statements/request:")] == [False]
    assert "| **not met** |" in markdown(slow, evaluate(slow))


def test_report_files(tmp_path: Path) -> None:
    paths = write(results(), tmp_path)
    assert [p.name for p in paths] == ["latest.json", "latest.md", "latest.png"]
    document = json.loads((tmp_path / "latest.json").read_text())
    assert document["targets"] and document["endpoints"][0]["name"] == "batch_list"
    text = (tmp_path / "latest.md").read_text()
    assert "Test CPU" in text and "| uncached | 400 | 20.00 |" in text
    assert (tmp_path / "latest.png").read_bytes().startswith(b"\x89PNG")


def test_writes_are_held_to_the_before_apps_cpu_and_twice_their_raw_floor() -> None:
    with_writes = results()
    booking = endpoint(
        "booking",
        False,
        baseline=figures(300, 20, 4, 1.5),
        uncached=figures(200, 30, 8, 2.8),
        floor_raw=figures(900, 8, None, 1.2),
    )
    reservation = endpoint("reservation", False, baseline=figures(50, 90, 30, 50), uncached=figures(250, 25, 9, 3.0))
    with_writes["endpoints"] += [booking | {"write": True}, reservation | {"write": True}]
    rows = [r for r in evaluate(with_writes) if r.target.startswith("writes:")]
    by = {(r.endpoint, r.target.split(" at most ")[1].split(" ")[0]): r for r in rows}
    before = by[("booking", "the")]
    assert (before.before, before.after, before.ratio, before.met) == (1.5, 2.8, 2.8 / 1.5, False)
    floor = by[("booking", "2x")]
    assert (floor.before, floor.ratio, floor.met) == (1.2, 2.8 / 1.2, False)
    assert by[("reservation", "the")].met is True
    assert ("reservation", "2x") not in by, "no raw floor measured: no claim"
    assert [r for r in evaluate(with_writes) if r.target.startswith("uncached >=") and r.endpoint == "booking"] == []


def test_a_batch_is_held_per_movement_to_the_before_apps_booking_and_per_request_to_its_floor() -> None:
    with_batch = results()
    booking = endpoint("booking", False, baseline=figures(300, 20, 4, 1.5), uncached=figures(200, 30, 8, 2.8))
    batch = endpoint("batch_booking", False, uncached=figures(20, 300, 9, 40.0), floor_raw=figures(60, 100, None, 25.0))
    with_batch["endpoints"] += [
        booking | {"write": True},
        batch | {"write": True, "items": 100, "before_endpoint": "booking"},
    ]
    rows = {
        r.target.split(" at most ")[1].split(" ")[0]: r
        for r in evaluate(with_batch)
        if r.endpoint == "batch_booking" and r.target.startswith("writes:")
    }
    before = rows["the"]
    assert (before.metric, before.before, before.after, before.met) == (
        "CPU ms/movement (before: one booking)",
        1.5,
        0.4,
        True,
    )
    assert before.ratio == 0.4 / 1.5
    floor = rows["2x"]
    assert (floor.before, floor.after, floor.ratio, floor.met) == (25.0, 40.0, 1.6, True)
