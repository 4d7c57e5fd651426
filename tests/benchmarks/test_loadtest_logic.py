"""The load test's traffic mix, window verdicts and ledger comparison (no server needed)."""

from __future__ import annotations

import json

import pytest
from benchmarks.loadgen import Outcome
from benchmarks.loadtest import traffic, windows
from benchmarks.loadtest.checks import compare_bookings
from benchmarks.probe import Facts

FACTS = Facts(
    chargen=10,
    charge_ids=[1, 2, 3],
    artikel_ids=[7, 8],
    kategorie="obst",
    kategorie_artikel=2,
    bestand=[(7, 1, 100, "50"), (8, 3, 101, "20"), (9, None, 102, "30")],
    rows={"charge": 10},
    server_version="test",
)


def test_the_mix_has_the_requested_shares_and_is_reproducible() -> None:
    requests = traffic.mix(FACTS, cycles=10)
    tags = [r["tag"] for r in requests]
    assert (tags.count("read"), tags.count("booking"), tags.count("reservation")) == (800, 150, 50)
    assert requests == traffic.mix(FACTS, cycles=10)  # fixed seed
    assert tags[:20] != sorted(tags[:20])  # shuffled, not in blocks
    bookings = [json.loads(r["body"]) for r in requests if r["tag"] == "booking"]
    assert {b["typ"] for b in bookings} == {"eingang", "ausgang"}
    assert all(b["referenz_id"] == "lt-{seq}" for b in bookings)
    conflicts = [r for r in requests if r["tag"] == "reservation" and traffic.CONFLICT_MENGE in r["body"]]
    assert len(conflicts) == 10
    reserved = {json.loads(r["body"])["artikel_id"] for r in requests if r["tag"] == "reservation"}
    assert reserved == {7, 8}  # artikel 9 has stock without batches: not reservable


def outcome(latencies: list[float], status: dict[str, int]) -> Outcome:
    samples = [[0.0, ms, 200, "read", n] for n, ms in enumerate(latencies)]
    return Outcome(count=len(latencies), elapsed=10.0, status=status, latencies_ms=latencies, samples=samples)


def test_windows_report_p99_drift_rss_growth_and_5xx() -> None:
    first = windows.window(0, outcome([10.0] * 99 + [100.0], {"200": 100}), rss_bytes=100 * 2**20)
    last = windows.window(1, outcome([10.0] * 99 + [150.0], {"200": 98, "503": 2}), rss_bytes=105 * 2**20)
    assert first.by_tag == {"read": 100}
    assert windows.server_errors([first, last]) == 2
    assert windows.p99_drift([first, last]) == last.p99_ms / first.p99_ms
    assert windows.rss_growth([first, last]) == pytest.approx(0.05)
    assert windows.p99_drift([first]) is None and windows.rss_growth([first]) is None


def test_every_window_has_its_p99_to_p50_spread_and_the_widest_decides() -> None:
    steady = windows.window(0, outcome([10.0] * 99 + [25.0], {"200": 100}), rss_bytes=0)
    tailed = windows.window(1, outcome([10.0] * 98 + [40.0, 40.0], {"200": 100}), rss_bytes=0)
    empty = windows.window(2, outcome([], {}), rss_bytes=0)
    assert steady.spread == pytest.approx(steady.p99_ms / 10.0)
    assert empty.spread is None
    assert windows.widest_spread([steady, tailed, empty]) == tailed.spread
    assert tailed.spread > windows.SPREAD_LIMIT >= steady.spread
    assert windows.widest_spread([empty]) is None
    assert windows.throughput([steady, tailed]) == pytest.approx(200 / 20.0)


def test_bookings_are_compared_with_the_ledger() -> None:
    acknowledged = [(1, 11), (2, 12), (3, 13), (4, None)]
    ledger = [("lt-1", 11), ("lt-2", 99), ("lt-5", 15), ("lt-6", 16), ("lt-6", 17), ("lt-4", 14)]
    report = compare_bookings(acknowledged, ledger)
    assert report.acknowledged == 4
    assert report.lost == [3]
    assert report.wrong_id == [2]
    assert report.duplicated == ["lt-6"]
    assert report.unacknowledged_booked == 2  # lt-5 and lt-6: booked although never acknowledged
    assert report.booked_rows == 6
    clean = compare_bookings([(1, 11)], [("lt-1", 11)])
    clean.balance_mismatches, clean.verify_exit_code = 0, 0
    assert clean.clean and not report.clean


def test_each_kind_has_its_own_p50_p99_and_share_of_the_slowest_answers() -> None:
    samples = [[0.0, 10.0, 200, "read", n] for n in range(180)]
    samples += [[0.0, 30.0 + n, 201, "booking", 180 + n] for n in range(20)]
    mixed = Outcome(
        count=len(samples),
        elapsed=10.0,
        status={"200": 180, "201": 20},
        latencies_ms=[s[1] for s in samples],
        samples=samples,
    )
    measured = windows.window(0, mixed, rss_bytes=0)
    read, booking = measured.by_tag_latency["read"], measured.by_tag_latency["booking"]
    assert (read["p50_ms"], read["p99_ms"]) == (10.0, 10.0)
    assert booking["p50_ms"] == pytest.approx(39.5)
    assert measured.p99_ms is not None and measured.p99_ms > 30.0
    # every answer slower than the window's p99 was a booking
    assert (booking["tail_share"], read["tail_share"]) == (1.0, 0.0)


def test_the_servers_warnings_are_counted_by_kind_whatever_their_numbers() -> None:
    from benchmarks.loadtest.serverlog import warnings_by_kind

    text = "\n".join(
        [
            "2026-12-02 09:32:27,055 WARNING modular_server.cache: not every process confirmed within 50 ms",
            "2026-12-02 09:32:27,101 WARNING modular_server.cache: not every process confirmed within 50 ms",
            "2026-12-02 09:32:28,000 WARNING modular_server.monitoring: slow query (209.6 ms) on POST /x: SELECT 'a'",
            "2026-12-02 09:32:29,000 WARNING modular_server.monitoring: slow query (31.0 ms) on POST /x: SELECT 'b'",
            "2026-12-02 09:32:30,000 INFO modular_server: started",
            "INFO:     127.0.0.1:5000 - GET / 200",
            "2026-12-02 09:32:31,000 ERROR modular_server.notifications: webhook 7 failed",
            "2026-12-02 09:32:32,000 WARNING modular_server.cache: Redis unavailable (store: TimeoutError: read 6379)",
        ]
    )
    assert warnings_by_kind(text) == {
        "WARNING modular_server.cache: not every process confirmed within # ms": 2,
        "WARNING modular_server.monitoring: slow query (# ms) on POST /x: SELECT #": 2,
        "ERROR modular_server.notifications: webhook # failed": 1,
        "WARNING modular_server.cache: Redis unavailable (store: TimeoutError: read #)": 1,
    }
    assert warnings_by_kind("") == {}
