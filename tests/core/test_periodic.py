"""modular_server.plugin.Periodic: runs its work after each wait, survives failures, stops cleanly."""

from __future__ import annotations

import asyncio
import logging

import pytest

from modular_server.core.plugins import PluginHost
from modular_server.plugin import Periodic, every
from modular_server.settings import Settings
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


async def test_an_interval_function_that_raises_is_logged_and_the_loop_waits_and_goes_on(caplog):
    ticks = Ticks()
    seen: list[Exception] = []
    answers = iter([ValueError("no schedule"), 120.0, RuntimeError("clock away"), float("nan")])

    def flaky_interval() -> float:
        answer = next(answers, 300.0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    ran = 0

    async def work() -> None:
        nonlocal ran
        ran += 1

    periodic = Periodic(
        flaky_interval, work, name="shaky", plugin="demo", on_failure=seen.append, sleep=ticks, retry_seconds=7
    )
    with caplog.at_level(logging.ERROR, logger="modular_server.periodic"):
        periodic.start()
        await eventually(lambda: _now(ran >= 5))
        await periodic.stop()
    # no answer yet: retry_seconds; later failures (raise, NaN): the last answer given
    assert ticks.waits[:5] == [7, 120.0, 120.0, 120.0, 300.0]
    assert periodic.interval_failures == 3 and periodic.failures == 0
    assert [type(e) for e in seen] == [ValueError, RuntimeError, ValueError]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 3 and all("demo" in m and "shaky" in m for m in errors)


async def test_a_failing_on_failure_callback_does_not_end_the_loop():
    def broken(exc: Exception) -> None:
        raise KeyError("callback")

    rounds = 0

    async def fails() -> None:
        nonlocal rounds
        rounds += 1
        raise RuntimeError("work")

    periodic = every(1, fails, name="both fail", plugin="demo", on_failure=broken, sleep=Ticks())
    await eventually(lambda: _now(rounds >= 3))
    assert periodic.running
    await periodic.stop()


def _host(tmp_path, grace: float = 2.0) -> PluginHost:
    return PluginHost(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", observer_timeout_seconds=grace))


async def test_a_loop_given_the_host_is_one_of_its_background_tasks_and_stop_removes_it(tmp_path):
    host = _host(tmp_path)
    ran = 0

    async def work() -> None:
        nonlocal ran
        ran += 1

    periodic = every(5, work, name="hosted", plugin="demo", sleep=Ticks(), host=host)
    await eventually(lambda: _now(ran >= 2))
    assert periodic._task in host.dispatcher._loops and periodic._task.get_name() == "demo:hosted"
    await periodic.stop()
    assert not host.dispatcher._loops
    assert not periodic.running


async def test_shutdown_cancels_a_loop_its_plugin_did_not_stop_without_waiting_for_it(tmp_path):
    host = _host(tmp_path, grace=3600)
    periodic = every(3600, _never, name="forgotten", plugin="demo", host=host)
    await asyncio.sleep(0)
    finished = asyncio.Event()

    async def short() -> None:
        await asyncio.sleep(0)
        finished.set()

    host.background(short())
    # were the loop waited for like the short task, settle would take an hour (the guard fails first)
    await asyncio.wait_for(host.dispatcher.settle(), timeout=60)
    assert finished.is_set()
    assert not periodic.running and not host.dispatcher._loops


async def test_shutdown_cancels_a_background_task_that_outlives_the_grace(tmp_path):
    host = _host(tmp_path, grace=0.01)
    hung = host.background(asyncio.Event().wait())
    await host.dispatcher.settle()
    assert hung.cancelled()


async def _never() -> None:
    raise AssertionError("the loop never reaches its first round")
