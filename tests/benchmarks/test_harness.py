"""Process management and the load generator, against small real servers on loopback."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import psutil
import pytest
from benchmarks.dataset import Databases
from benchmarks.loadgen import LoadGenerator, Outcome, Spec
from benchmarks.measure import Measurement
from benchmarks.servers import LOOPBACK, ServerProcess, ServerSpec, first_party_plugins, uvicorn_command
from benchmarks.variants import CACHED, FLOOR_RAW, UNCACHED, server_spec

from modular_server.hooks.markers import ENTRY_POINT_GROUP


@pytest.fixture
def echo(tmp_path: Path):
    spec = ServerSpec("echo", uvicorn_command("tests.benchmarks.echo_app:app", factory=False), ready_path="/")
    with ServerProcess(spec, tmp_path) as server:
        yield server


def test_a_server_runs_as_its_own_process_and_is_stopped(echo: ServerProcess) -> None:
    process = psutil.Process(echo.pid)
    assert process.is_running()
    assert echo.cpu_seconds() > 0
    assert echo.peak_rss_bytes() >= max(echo.rss_bytes().values()) > 0
    echo.stop()
    assert not psutil.pid_exists(echo.pid) or process.status() == psutil.STATUS_ZOMBIE


def test_measuring_waits_until_a_server_is_quiet(echo: ServerProcess) -> None:
    assert echo.wait_quiet(window=0.5, timeout=60)  # idle after start
    # no process uses less than no CPU: the wait gives up after its timeout
    assert not echo.wait_quiet(share=0, window=0.2, timeout=0.5)


def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path: Path) -> None:
    spec = ServerSpec("broken", uvicorn_command("tests.benchmarks.no_such_module:app", factory=False))
    server = ServerProcess(spec, tmp_path, ready_timeout=30)
    with pytest.raises(RuntimeError, match="broken exited"):
        server.start()
    assert "no_such_module" in server.log_path.read_text()


def test_segments_are_bounded_by_request_count_and_record_headers(echo: ServerProcess) -> None:
    requests = [{"method": "GET", "path": "/"}, {"method": "GET", "path": "/status/503"}]
    with LoadGenerator() as load:
        outcome = load.run(Spec(LOOPBACK, echo.port, requests, concurrency=3, duration=30, max_requests=40))
    assert outcome.count == 40
    assert outcome.status == {"200": 20, "503": 20}
    assert outcome.failures == 0
    assert len(outcome.latencies_ms) == 40
    assert outcome.header_sums["x-query-count"] == [80.0, 40, 2.0, 2.0]
    assert outcome.header_tally["x-cache"] == {"HIT": 40}


def test_writes_carry_a_unique_sequence_number_and_are_acknowledged(echo: ServerProcess) -> None:
    requests = [{"method": "POST", "path": "/book", "body": json.dumps({"ref": "{seq}"}), "tag": "booking"}]
    spec = Spec(LOOPBACK, echo.port, requests, concurrency=4, duration=30, max_requests=25, collect_ids=["booking"])
    spec.record_samples = True
    with LoadGenerator() as load:
        first = load.run(spec)
        second = load.run(spec)
    seqs = [seq for _tag, seq, _id in first.acknowledged + second.acknowledged]
    assert sorted(seqs) == list(range(1, 51))  # unique across segments of one generator
    assert all(str(seq) == answer_id for _tag, seq, answer_id in first.acknowledged)
    assert [s[2] for s in first.samples] == [201] * 25
    assert {s[3] for s in first.samples} == {"booking"}


def test_segments_end_at_their_duration(echo: ServerProcess) -> None:
    with LoadGenerator() as load:
        outcome = load.run(Spec(LOOPBACK, echo.port, [{"path": "/"}], concurrency=2, duration=0.3, max_requests=10**9))
    assert 0 < outcome.count < 10**9
    assert outcome.elapsed < 5  # bounded; the exact length is not asserted


def test_refused_connections_are_counted_not_raised() -> None:
    with LoadGenerator() as load:
        outcome = load.run(Spec(LOOPBACK, 9, [{"path": "/"}], concurrency=2, duration=5, max_requests=6, timeout=2))
    assert outcome.count == 0
    assert outcome.failures == 6
    assert outcome.failure_messages


def test_measurements_merge_segments() -> None:
    measurement = Measurement()
    for cpu in (0.5, 1.5):
        outcome = Outcome(
            count=10,
            elapsed=1.0,
            status={"200": 9, "500": 1},
            latencies_ms=[float(n) for n in range(1, 11)],
            client_cpu_seconds=0.25,
            header_sums={"x-query-count": [30.0, 10, 3.0, 3.0]},
            header_tally={"x-cache": {"HIT": 8, "MISS": 2}},
        )
        measurement.add(outcome, cpu)
    summary = measurement.summary(peak_rss_bytes=2**21)
    assert summary["requests"] == 20
    assert summary["ok"] == 18
    assert summary["rps"] == 10.0
    assert summary["cpu_ms_per_request"] == 100.0
    assert summary["statements_per_request"] == 3.0
    assert summary["cache_hit_ratio"] == 0.8
    assert summary["peak_rss_mb"] == 2.0
    assert summary["latency_ms"]["p50"] == 5.5


def test_every_product_server_of_a_run_signs_cursors_with_one_key(tmp_path: Path) -> None:
    databases = Databases("sqlite", "sqlite:///p.db", "sqlite:///p.db", "sqlite:///b.db")
    keys = {server_spec(v, databases, tmp_path).env["MODULAR_SERVER_SECRET_KEY"] for v in (UNCACHED, CACHED)}
    assert len(keys) == 1 and len(keys.pop()) >= 32
    assert "MODULAR_SERVER_SECRET_KEY" not in server_spec(FLOOR_RAW, databases, tmp_path).env
    other_run = tmp_path / "other"
    other_run.mkdir()
    assert (
        server_spec(UNCACHED, databases, other_run).env["MODULAR_SERVER_SECRET_KEY"]
        != server_spec(UNCACHED, databases, tmp_path).env["MODULAR_SERVER_SECRET_KEY"]
    )


def test_product_servers_run_the_first_party_plugins_only(tmp_path: Path) -> None:
    # the test environment has the faulty plugins and the hello example installed too: they
    # must not run inside a measured product server
    installed = {entry.name for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    shipped = set(first_party_plugins())
    assert {"artikel", "chargen", "lager", "reservierungen", "cache", "monitoring"} <= shipped
    assert not {name for name in shipped if name.startswith("faulty_")} | ({"hello"} & shipped)
    assert installed - shipped, "this test needs other plugins installed next to the product's"
    databases = Databases("sqlite", "sqlite:///p.db", "sqlite:///p.db", "sqlite:///b.db")
    env = server_spec(UNCACHED, databases, tmp_path).env
    assert json.loads(env["MODULAR_SERVER_PLUGINS__ENABLED"]) == sorted(shipped)
    assert json.loads(env["MODULAR_SERVER_PLUGINS__DISABLED"]) == ["cache"]
