"""modular_server.plugin.Periodic: runs its work after each wait, survives failures, stops cleanly."""

from __future__ import annotations

import asyncio
import logging

import pytest

from modular_server.plugin import Periodic, every
from modular_server.testing import eventually


async def _now(answer: bool) -> bool:
    return answer


class Ticks:
    """An injected sleep: records each requested wait and lets the loop run without waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


async def test_runs_the_work_after_each_wait_until_stopped():
    ticks = Ticks()
    done: list[int] = []

    async def work() -> None:
        done.append(len(done))

    periodic = every(30, work, name="count", plugin="demo", sleep=ticks)
    assert periodic.running
    await eventually(lambda: _now(len(done) >= 3))
    await periodic.stop()
    assert not periodic.running
    stopped_at = len(done)
    await asyncio.sleep(0)
    assert len(done) == stopped_at
    assert set(ticks.waits) == {30}
    assert periodic.rounds == stopped_at and periodic.failures == 0


async def test_a_failing_round_is_logged_with_the_plugin_and_the_loop_goes_on(caplog):
    ticks = Ticks()
    seen: list[Exception] = []
    rounds = 0

    async def flaky() -> None:
        nonlocal rounds
        rounds += 1
        if rounds == 1:
            raise RuntimeError("database away")

    periodic = Periodic(5, flaky, name="flaky job", plugin="demo", on_failure=seen.append, sleep=ticks)
    with caplog.at_level(logging.ERROR, logger="modular_server.periodic"):
        periodic.start()
        await eventually(lambda: _now(rounds >= 3))
        await periodic.stop()
    assert periodic.failures == 1 and [str(e) for e in seen] == ["database away"]
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "demo" in record.getMessage() and "flaky job" in record.getMessage()


async def test_the_interval_may_be_a_function_asked_before_each_wait():
    ticks = Ticks()
    asked: list[int] = []

    def until_next_run() -> float:
        asked.append(1)
        return 3600.0 if len(asked) == 1 else 86400.0

    ran = 0

    async def work() -> None:
        nonlocal ran
        ran += 1

    periodic = every(until_next_run, work, name="daily", plugin="demo", sleep=ticks)
    await eventually(lambda: _now(ran >= 2))
    await periodic.stop()
    assert ticks.waits[:2] == [3600.0, 86400.0]


async def test_run_once_reports_success_and_start_twice_keeps_one_loop():
    async def fails() -> None:
        raise ValueError("no")

    periodic = Periodic(1, fails, name="once", plugin="demo", sleep=Ticks())
    assert await periodic.run_once() is False
    periodic.start()
    first = periodic._task
    periodic.start()
    assert periodic._task is first
    await periodic.stop()
    await periodic.stop()  # stopping twice is harmless


@pytest.mark.parametrize("interval", [0.0, 1.0])
async def test_stop_before_any_round_runs_nothing(interval):
    ran: list[int] = []

    async def work() -> None:
        ran.append(1)

    periodic = Periodic(interval, work, name="idle", plugin="demo", sleep=lambda s: asyncio.Event().wait())
    periodic.start()
    await asyncio.sleep(0)
    await periodic.stop()
    assert ran == [] and periodic.rounds == 0
