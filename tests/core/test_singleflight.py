"""SingleFlight: one computation per key in flight, shared by every concurrent caller."""

from __future__ import annotations

import asyncio
import gc

import pytest

from modular_server.core.singleflight import SingleFlight


class Lookup:
    """A computation that counts its runs and waits for the test's signal to answer."""

    def __init__(self) -> None:
        self.runs = 0
        self.release = asyncio.Event()

    async def __call__(self, value: str = "found") -> str:
        self.runs += 1
        run = self.runs
        await self.release.wait()
        return f"{value} #{run}"


async def _until_waiting(tasks: list[asyncio.Task[object]]) -> None:
    for _ in range(5):
        await asyncio.sleep(0)
    assert not any(task.done() for task in tasks)


async def test_concurrent_callers_of_one_key_share_one_computation():
    flights: SingleFlight[str, str] = SingleFlight()
    lookup = Lookup()
    callers = [asyncio.ensure_future(flights.run("key", lookup)) for _ in range(20)]
    await _until_waiting(callers)
    assert lookup.runs == 1 and len(flights) == 1
    lookup.release.set()
    assert await asyncio.gather(*callers) == ["found #1"] * 20
    assert len(flights) == 0, "a landed flight is not kept"
    assert await flights.run("key", lookup) == "found #2", "a later call computes afresh"


async def test_different_keys_fly_apart():
    flights: SingleFlight[str, str] = SingleFlight()
    lookup = Lookup()
    callers = [asyncio.ensure_future(flights.run(key, lambda key=key: lookup(key))) for key in ("a", "b", "a")]
    await _until_waiting(callers)
    assert lookup.runs == 2
    lookup.release.set()
    first, second, third = await asyncio.gather(*callers)
    assert first == third and first.startswith("a") and second.startswith("b")


async def test_an_error_reaches_every_caller_and_is_not_remembered():
    flights: SingleFlight[str, str] = SingleFlight()
    release = asyncio.Event()
    runs = 0

    async def failing() -> str:
        nonlocal runs
        runs += 1
        await release.wait()
        raise ConnectionError("database went away")

    callers = [asyncio.ensure_future(flights.run("key", failing)) for _ in range(3)]
    await _until_waiting(callers)
    release.set()
    outcomes = await asyncio.gather(*callers, return_exceptions=True)
    assert [type(outcome) for outcome in outcomes] == [ConnectionError] * 3 and runs == 1
    with pytest.raises(ConnectionError):
        await flights.run("key", failing)
    assert runs == 2, "the failure was not remembered"


async def test_a_cancelled_caller_does_not_cancel_the_others():
    flights: SingleFlight[str, str] = SingleFlight()
    lookup = Lookup()
    leader = asyncio.ensure_future(flights.run("key", lookup))
    follower = asyncio.ensure_future(flights.run("key", lookup))
    await _until_waiting([leader, follower])
    leader.cancel()  # e.g. the client of the first request went away
    await asyncio.sleep(0)
    assert leader.cancelled()
    lookup.release.set()
    assert await follower == "found #1"


async def test_an_error_nobody_waits_for_any_more_is_not_reported_to_the_loop():
    reported: list[dict[str, object]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        flights: SingleFlight[str, str] = SingleFlight()
        release = asyncio.Event()

        async def failing() -> str:
            await release.wait()
            raise ConnectionError("late")

        caller = asyncio.ensure_future(flights.run("key", failing))
        await _until_waiting([caller])
        caller.cancel()
        release.set()
        for _ in range(5):
            await asyncio.sleep(0)
        gc.collect()  # "exception was never retrieved" is reported when the task is collected
        assert reported == []
    finally:
        loop.set_exception_handler(None)


async def test_forget_lets_later_callers_compute_afresh_while_earlier_ones_keep_theirs():
    flights: SingleFlight[str, str] = SingleFlight()
    lookup = Lookup()
    before = asyncio.ensure_future(flights.run("key", lookup))
    await _until_waiting([before])
    flights.forget()  # the source changed: what is in flight may be outdated
    after = asyncio.ensure_future(flights.run("key", lookup))
    await _until_waiting([after])
    assert lookup.runs == 2
    lookup.release.set()
    assert (await before, await after) == ("found #1", "found #2")
    assert len(flights) == 0
