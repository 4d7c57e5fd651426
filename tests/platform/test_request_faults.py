"""Issue 13 A: gates failing at request time, error responses, health checks contributed by plugins."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from modular_server.testing import BOTH
from tests.fakes import widgets
from tests.platform.support import EVERYONE, assert_witnesses_serve

DEGRADED = (
    "gate 'authenticate' failed 3 times in a row (last: RuntimeError: token introspection endpoint unreachable); "
    "its observers and gates are switched off"
)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_raising_gates_grant_nothing_are_counted_and_degrade_their_plugin(make_app, caplog):
    caplog.set_level(logging.ERROR, "modular_server.plugins")
    gates = {"authenticate": True, "lookup": True}
    async with make_app(only=EVERYONE, observer_failure_limit=3, faulty_gates=gates) as running:
        record = running.app.state.host.records["faulty_gates"]
        for _ in range(3):
            # the core's API-key check still answers, and no cached answer means the handler runs
            served = await running.client.get("/api/v1/faulty_gates/ping")
            assert served.status_code == 200 and served.json()["plugin"] == "faulty_gates"
        assert (record.state.value, record.reason) == ("degraded", DEGRADED)
        # the third failure of authenticate degraded it: its lookup_response was not called then
        assert record.failures_by_hook == {"authenticate": 3, "lookup_response": 2}
        # switched off: not called (nor counted) any more
        assert (await running.client.get("/api/v1/faulty_gates/ping")).status_code == 200
        assert record.failures_by_hook == {"authenticate": 3, "lookup_response": 2}
        assert "gate authenticate of plugin faulty_gates failed: RuntimeError" in caplog.text
        assert "gate lookup_response of plugin faulty_gates failed: TimeoutError" in caplog.text

        refused = await running.anonymous.get("/api/v1/artikel")
        assert refused.status_code == 401, "a raising authenticator grants nothing"
        assert refused.json()["request_id"] == refused.headers["x-request-id"]

        await assert_witnesses_serve(running.client, running.app.state.host.records)
        listed = {p["name"]: p for p in (await running.client.get("/api/v1/system/plugins")).json()["items"]}
        assert listed["faulty_gates"]["state"] == "degraded"
        assert listed["faulty_gates"]["failures_by_hook"] == {"authenticate": 3, "lookup_response": 2}
        ready = (await running.anonymous.get("/health/ready")).json()
        assert ready["status"] == "degraded"
        assert ready["checks"]["plugin.faulty_gates"] == {"status": "degraded", "detail": DEGRADED}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_an_error_in_the_admission_keeps_the_request_id(make_app):
    async with make_app(only=["hello"]) as running:
        # the admin key is cached; an unknown key must be looked up, in a table that is gone
        async with running.app.state.db.engine.begin() as conn:
            await conn.execute(text("DROP TABLE api_key"))
        answer = await running.anonymous.get(
            "/api/v1/hello", headers={"Authorization": "Bearer msk_000000000000_x", "X-Request-ID": "trace-42"}
        )
        # a missing table is a broken installation, not an outage: 500, never "database unavailable"
        assert answer.status_code == 500
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["x-request-id"] == "trace-42" and answer.json()["request_id"] == "trace-42"


HEALTH_FAILURES = {
    "hook_raises": ("faulty_health.health_checks", "the hook raised KeyError: 'probe'"),
    "hook_garbage": ("faulty_health.health_checks", "the hook returned list, not a mapping of names to checks"),
    "check_raises": ("faulty_health.probe", "ConnectionRefusedError: probe target refused"),
    "check_garbage": ("faulty_health.probe", "the check answered str, not a HealthResult"),
    "check_hangs": ("faulty_health.probe", "no answer within 2.0s"),
}


@pytest.mark.parametrize("mode", HEALTH_FAILURES, ids=HEALTH_FAILURES.keys())
async def test_a_broken_health_check_is_that_checks_failure_only(make_app, mode: str):
    async with make_app([widgets], only=EVERYONE, faulty_health={"mode": mode}) as running:
        answer = await running.anonymous.get("/health/ready")
        assert answer.status_code == 503, "a failing check makes the instance unready"
        checks = answer.json()["checks"]
        name, detail = HEALTH_FAILURES[mode]
        assert checks[name] == {"status": "fail", "detail": detail}
        assert checks["database"]["status"] == "ok"
        assert checks["widgets.supplier"] == {"status": "ok", "detail": ""}
        assert running.app.state.host.records["faulty_health"].state.value == "active"
        await assert_witnesses_serve(running.client, running.app.state.host.records)


async def test_an_unexpected_error_answers_500_with_the_request_id(make_app):
    async with make_app([widgets], discover=False) as running:
        answer = await running.client.get("/api/v1/widgets/boom", headers={"X-Request-ID": "trace-500"})
        assert answer.status_code == 500
        assert answer.headers["x-request-id"] == "trace-500" and answer.json()["request_id"] == "trace-500"
        assert "secret-internal-detail" not in answer.text
