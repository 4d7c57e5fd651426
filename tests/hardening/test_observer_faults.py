"""A plugin whose observers hang or block on every call: requests keep their results and never
wait for it beyond the configured bounds, and the plugin is switched to ``degraded``."""

from __future__ import annotations

import asyncio

from modular_server.testing import RunningApp, eventually
from tests.fakes import misbehaving

EINHEIT = {"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": "1"}


async def degraded(running: RunningApp, name: str) -> str:
    """The plugin's reason once it is degraded (its timed-out observers fail in the background)."""
    record = running.app.state.host.records[name]

    async def reason() -> str:
        return record.reason if record.state.value == "degraded" else ""

    return await eventually(reason, f"{name} degraded")


async def test_hanging_observers_never_hold_a_read(make_app):
    hanging = misbehaving.ObserverHangs()
    async with make_app([hanging], only=["artikel"], observer_timeout_seconds=1, observer_failure_limit=3) as running:
        hanging.stuck = set(hanging.calls)
        listed = await running.client.get("/api/v1/einheiten")
        # the answer is complete while the observers it started are still stuck: nobody waited for them
        assert listed.status_code == 200 and listed.json()["items"] == []
        assert hanging.unfinished > 0 and hanging.calls["query_executed"] > 0

        reason = await degraded(running, "hanging")
        assert "did not finish within 1.0s" in reason and reason.endswith("its observers and gates are switched off")
        calls = dict(hanging.calls)
        for _ in range(3):
            again = await running.client.get("/api/v1/einheiten")
            assert again.status_code == 200 and again.json() == listed.json()
        assert hanging.calls == calls, "a degraded plugin's observers are not called any more"
        assert running.app.state.host.records["artikel"].state.value == "active"


async def test_a_hanging_commit_observer_bounds_writes_and_loses_nothing(make_app):
    hanging = misbehaving.ObserverHangs()
    async with make_app([hanging], only=["artikel"], observer_timeout_seconds=0.2, observer_failure_limit=3) as running:
        hanging.stuck = {"changes_committed"}
        created = []
        for n in range(5):
            # a write waits for its changes_committed observers (cache invalidation across
            # processes relies on it), but only up to observer_timeout_seconds; the guard below
            # only catches a write that never answers
            answer = await asyncio.wait_for(
                running.client.post("/api/v1/einheiten", json={**EINHEIT, "code": f"e{n}"}), 30
            )
            assert answer.status_code == 201
            created.append(answer.json())
        assert "did not finish within 0.2s" in await degraded(running, "hanging")
        assert hanging.calls["changes_committed"] == 3, "switched off after observer_failure_limit timeouts"
        stored = (await running.client.get("/api/v1/einheiten")).json()["items"]
        assert sorted(e["code"] for e in stored) == [f"e{n}" for n in range(5)]
        assert {e["id"] for e in stored} == {e["id"] for e in created}
        assert hanging.unfinished == 0, "every stuck observer was cancelled at its deadline"


async def test_an_observer_blocking_the_event_loop_is_switched_off(make_app, caplog):
    blocking = misbehaving.ObserverBlocks(seconds=0.05)
    async with make_app(
        [blocking], only=["artikel"], observer_blocking_limit_seconds=0.01, observer_failure_limit=3
    ) as running:
        answers = [await running.client.get("/api/v1/einheiten") for _ in range(5)]
        assert [a.status_code for a in answers] == [200] * 5
        record = running.app.state.host.records["blocking"]
        assert record.state.value == "degraded"
        assert "blocked the event loop for" in record.reason and "(limit 0.01s)" in record.reason
        assert blocking.calls == 3, "the blocking observer is not called after it was switched off"
        assert "observer request_finished of plugin blocking failed: blocked the event loop" in caplog.text
