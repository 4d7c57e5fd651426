"""A statement that took long only because this process's event loop was stalled (a garbage
collection, a blocking call, a burst of other work under load) is not a slow query: the
dashboard would blame SQL for a busy process. A really slow statement still is one."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from sqlalchemy import event, text

from modular_server.plugin import QueryInfo, host_of
from modular_server.plugins.monitoring.looplag import LoopLag, interval_for
from modular_server.plugins.monitoring.recorder import Recorder
from modular_server.plugins.monitoring.settings import MonitoringSettings
from modular_server.testing import BOTH


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _sampled(clock: Clock, *samples: tuple[float, float]) -> LoopLag:
    lag = LoopLag(clock)
    lag.samples.extend(samples)
    return lag


def test_the_lateness_within_a_span_is_the_largest_of_the_timers_that_fired_in_it():
    lag = _sampled(Clock(), (10.0, 0.300), (10.5, 0.001), (11.0, 0.120), (11.2, 0.002))
    assert lag.during(10.4, 11.3) == pytest.approx(0.120)  # the 0.3 s one fired before the span
    assert lag.during(11.1, 11.3) == pytest.approx(0.002)
    assert lag.during(12.0, 13.0) == 0.0
    assert lag.during(11.0, 11.05) == pytest.approx(0.05), "never more than the span itself"


def test_a_timer_overdue_at_the_end_of_the_span_counts_from_its_due_time_or_the_start():
    lag = _sampled(Clock())
    lag.due = 20.0  # due, not fired yet: the loop has been busy since
    assert lag.during(19.9, 20.25) == pytest.approx(0.25)
    assert lag.during(20.1, 20.25) == pytest.approx(0.15)
    assert lag.during(19.0, 19.5) == 0.0, "not overdue yet at the span's end"


async def test_the_sampler_sees_a_blocked_loop():
    lag = LoopLag()
    sampling = asyncio.ensure_future(lag.sleep(0.01))
    await asyncio.sleep(0)
    start = lag.clock()
    time.sleep(0.12)  # noqa: ASYNC251 - the point: a blocking call, no timer can fire meanwhile
    await sampling
    assert lag.during(start, lag.clock()) >= 0.1


def _statement(duration: float) -> QueryInfo:
    return QueryInfo(
        fingerprint="SELECT charge.id FROM charge",
        statement="SELECT charge.id FROM charge WHERE charge.id = $1",
        duration=duration,
        rowcount=1,
        is_select=True,
        executemany=False,
        dialect="postgresql",
    )


def test_time_over_the_threshold_that_was_the_loops_is_a_stall_not_a_slow_query(caplog):
    clock = Clock()
    lag = _sampled(clock, (clock.now - 0.01, 0.240))  # fired 10 ms ago, 240 ms late
    recorder = Recorder(MonitoringSettings(slow_query_ms=200), lag)
    with caplog.at_level(logging.WARNING, logger="modular_server.monitoring"):
        recorder.statement(None, _statement(0.250))  # 10 ms in the database
    assert recorder.take().slow == [] and recorder.delayed_by_loop == 1
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("event loop stalled: a statement in background work took 250.0 ms, 240.0 ms of it")


def test_a_statement_slow_without_the_loops_share_is_recorded_and_says_the_share(caplog):
    clock = Clock()
    lag = _sampled(clock, (clock.now - 0.01, 0.040))
    recorder = Recorder(MonitoringSettings(slow_query_ms=200), lag)
    with caplog.at_level(logging.WARNING, logger="modular_server.monitoring"):
        recorder.statement(None, _statement(0.300))  # 260 ms in the database
    (slow,) = recorder.take().slow
    assert slow.duration == pytest.approx(0.300), "the record keeps what the request waited"
    assert recorder.delayed_by_loop == 0
    (line,) = [r.getMessage() for r in caplog.records]
    assert line == "slow query (300.0 ms, 40.0 ms of it waiting for the event loop) in background work: " + (
        "SELECT charge.id FROM charge"
    )


def test_a_zero_threshold_still_records_every_statement():
    clock = Clock()
    recorder = Recorder(MonitoringSettings(slow_query_ms=0), _sampled(clock, (clock.now, 0.5)))
    recorder.statement(None, _statement(0.2))
    assert len(recorder.take().slow) == 1


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_fast_statement_behind_a_stalled_loop_is_not_a_slow_query(monitored, caplog, backend):
    async with monitored(slow_query_ms=100) as running:
        monitor = host_of(running.app).data["monitoring"]
        await asyncio.sleep(0.06)  # the sampler is running
        caplog.set_level("WARNING", logger="modular_server.monitoring")
        loop = asyncio.get_running_loop()
        engine = running.app.state.db.engine.sync_engine

        def stall_after_sending(_conn, _cursor, statement: str, *_args) -> None:
            if statement == "SELECT 1":  # the loop is blocked while the statement is under way
                loop.call_soon(time.sleep, 0.25)

        event.listen(engine, "before_cursor_execute", stall_after_sending)
        try:
            async with running.app.state.db.session() as session:
                began = time.perf_counter()
                assert (await session.execute(text("SELECT 1"))).scalar() == 1
                assert time.perf_counter() - began >= 0.25
        finally:
            event.remove(engine, "before_cursor_execute", stall_after_sending)
        assert monitor.recorder.delayed_by_loop == 1
        items = (await running.client.get("/api/v1/performance/slow-queries")).json()["items"]
        assert [i for i in items if i["fingerprint"] == "SELECT ?"] == []
        assert any(r.getMessage().startswith("event loop stalled") for r in caplog.records)


def test_the_timer_is_due_at_half_the_slow_threshold_at_most_ten_times_a_second():
    assert interval_for(0.2) == pytest.approx(0.1)  # the default threshold: 10 wake-ups a second
    assert interval_for(2.0) == pytest.approx(0.1)
    assert interval_for(0.1) == pytest.approx(0.05)
    assert interval_for(0.001) == pytest.approx(0.02)
