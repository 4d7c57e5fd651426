"""Every way a plugin can fail leaves the server up, the others active, and the
failing plugin in exactly the right state with exactly the right reason; strict mode refuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from modular_server.core.plugins import PluginStartupError
from modular_server.testing import running_app, sources_with
from tests.core.support import BROKEN, NEEDS_DISTRIBUTION, start_and_stop
from tests.fakes import healthy, misbehaving, tuned, widgets, widgets_copy


@dataclass(frozen=True)
class Failure:
    plugins: tuple[Any, ...]
    name: str
    state: str
    reason: str
    hint: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    #: found while starting (lifespan), not while building the app
    at_startup: bool = False


FAILURES = {
    "raises-at-import": Failure((BROKEN,), "broken", "import_error", "RuntimeError: boom at import"),
    "missing-distribution": Failure(
        (NEEDS_DISTRIBUTION,),
        "needs_dist",
        "missing_dependency",
        f"missing packages: {misbehaving.MISSING_DISTRIBUTION}",
        'pip install "modular-server[fake]"',
    ),
    "missing-python-package": Failure(
        (misbehaving.NeedsPackage(),),
        "needs_package",
        "missing_dependency",
        f"missing Python packages: {misbehaving.MISSING_MODULE}",
        f"pip install {misbehaving.MISSING_MODULE}",
    ),
    "invalid-settings": Failure(
        (tuned,),
        "tuned",
        "invalid_config",
        "invalid settings: limit: Input should be greater than or equal to 1",
        settings={"tuned": {"limit": 0}},
    ),
    "startup-raises": Failure(
        (misbehaving.FailingStartup(),),
        "failing_startup",
        "setup_failed",
        "startup failed: ConnectionError: widget service unreachable",
        at_startup=True,
    ),
    "startup-times-out": Failure(
        (misbehaving.SlowStartup(),),
        "slow_startup",
        "setup_failed",
        "startup did not finish within 0.2s",
        settings={"startup_timeout_seconds": 0.2},
        at_startup=True,
    ),
    "requires-failed-plugin": Failure(
        (BROKEN, misbehaving.NeedsBroken()),
        "needs_broken",
        "skipped",
        "requires plugin 'broken', which is import_error: RuntimeError: boom at import",
    ),
    "dependency-cycle": Failure(
        (misbehaving.CycleA(), misbehaving.CycleB()),
        "cycle_b",
        "setup_failed",
        "dependency cycle: cycle_a -> cycle_b -> cycle_a",
        "remove one of the requirements on this path",
    ),
    "misspelled-hook": Failure(
        (misbehaving.MisspelledHook(),),
        "misspelled",
        "setup_failed",
        "implements unknown hook 'request_finishd'",
        "did you mean 'request_finished'?",
    ),
    "incompatible-contract": Failure(
        (misbehaving.OldContract(),),
        "old_contract",
        "setup_failed",
        "written for plugin contract 0; this server implements contract 1",
    ),
    "table-owned-by-another-plugin": Failure(
        (widgets, widgets_copy),
        "widgets_copy",
        "setup_failed",
        "table 'fake_widget' is already defined by plugin 'widgets'; plugin 'widgets_copy' defines it again",
    ),
}


@pytest.mark.parametrize("case", FAILURES.values(), ids=FAILURES.keys())
async def test_a_failing_plugin_is_reported_and_the_rest_serves(make_app, case: Failure):
    async with make_app([healthy, *case.plugins], discover=False, **case.settings) as running:
        records = running.app.state.host.records
        failed = records[case.name]
        assert (failed.state.value, failed.reason) == (case.state, case.reason)
        if case.hint is not None:
            assert failed.hint == case.hint
        others = {n: r.state.value for n, r in records.items() if n not in {p.name for p in _failed(records)}}
        assert others and set(others.values()) == {"active"}, others

        assert (await running.anonymous.get("/health/live")).status_code == 200
        served = await running.client.get("/api/v1/healthy")
        assert served.status_code == 200 and served.json() == {"status": "ok"}

        unavailable = await running.client.get(f"/api/v1/{case.name}/anything")
        assert unavailable.status_code == 503
        assert unavailable.headers["content-type"] == "application/problem+json"
        problem = unavailable.json()
        assert problem["plugin"] == case.name
        assert problem["state"] == case.state
        assert problem["detail"] == f"plugin {case.name!r} is {case.state}: {case.reason}"
        assert problem["type"] == "urn:modular-server:problem:plugin-unavailable"


def _failed(records: dict[str, Any]) -> list[Any]:
    return [r for r in records.values() if not r.state.serving]


def test_a_cycle_fails_every_plugin_on_it(settings_factory):
    from modular_server.core.app import create_app
    from tests.core.support import as_sources

    app = create_app(settings_factory(), sources=as_sources([misbehaving.CycleA(), misbehaving.CycleB()]))
    reasons = {n: (r.state.value, r.reason) for n, r in app.state.host.records.items()}
    cycle = ("setup_failed", "dependency cycle: cycle_a -> cycle_b -> cycle_a")
    assert reasons == {"cycle_a": cycle, "cycle_b": cycle}


@pytest.mark.parametrize("case", FAILURES.values(), ids=FAILURES.keys())
async def test_strict_mode_turns_each_failure_into_a_startup_error(settings_factory, case: Failure):
    settings = settings_factory(strict_plugins=True, **case.settings)
    with pytest.raises(PluginStartupError) as refused:
        await start_and_stop(settings, [healthy, *case.plugins])
    failed = {r.name: (r.state.value, r.reason) for r in refused.value.failed}
    assert failed[case.name] == (case.state, case.reason)
    assert f"{case.name}: {case.state} - {case.reason}" in str(refused.value)
    assert "healthy" not in failed


async def test_strict_mode_found_at_build_time_raises_from_create_app(settings_factory):
    from modular_server.core.app import create_app
    from tests.core.support import as_sources

    with pytest.raises(PluginStartupError, match="broken: import_error - RuntimeError: boom at import"):
        create_app(settings_factory(strict_plugins=True), sources=as_sources([healthy, BROKEN]))


async def test_a_disabled_plugin_is_never_imported(settings_factory):
    # `plugins` is make_app's argument for plugin objects, so the selection goes through the settings
    settings = settings_factory(plugins={"disabled": ["broken", "needs_dist"]})
    sources = sources_with([healthy, BROKEN, NEEDS_DISTRIBUTION], discover=False)
    async with running_app(settings, sources) as running:
        records = running.app.state.host.records
        for name in ("broken", "needs_dist"):
            assert (records[name].state.value, records[name].reason) == ("disabled", "disabled by configuration")
            assert records[name].obj is None
            assert "import" not in records[name].timings
        assert running.app.state.host.failures() == []
        r = await running.client.get("/api/v1/broken")
        assert r.status_code == 503 and r.json()["state"] == "disabled"


async def test_enabled_list_selects_plugins(settings_factory):
    settings = settings_factory(plugins={"enabled": ["tuned"]})
    async with running_app(settings, sources_with([healthy, tuned], discover=False)) as running:
        states = {n: r.state.value for n, r in running.app.state.host.records.items()}
        assert states == {"healthy": "disabled", "tuned": "active"}


async def test_observer_failing_on_every_request_degrades_without_breaking_requests(make_app, caplog):
    noisy = misbehaving.ObserverRaises()
    async with make_app([healthy, noisy], discover=False, observer_failure_limit=3) as running:
        record = running.app.state.host.records["noisy"]
        for _ in range(3):
            assert (await running.client.get("/api/v1/healthy")).status_code == 200
        assert record.state.value == "degraded"
        assert record.reason == (
            "observer 'request_finished' failed 3 times in a row "
            "(last: ValueError: cannot count /api/v1/healthy); its observers and gates are switched off"
        )
        assert "observer request_finished of plugin noisy failed" in caplog.text
        for _ in range(2):
            assert (await running.client.get("/api/v1/healthy")).status_code == 200
        assert record.observer_failures == 3, "switched-off observers are not called any more"
        # degraded still serves its routes; only its observers are off
        served = await running.client.get("/api/v1/noisy")
        assert served.status_code == 200 and served.json() == {"status": "still serving"}
        assert running.app.state.host.records["healthy"].state.value == "active"
        listed = {p["name"]: p for p in (await running.client.get("/api/v1/system/plugins")).json()["items"]}
        assert listed["noisy"]["state"] == "degraded" and listed["noisy"]["observer_failures"] == 3


async def test_a_startup_failure_cascades_to_its_dependents(make_app):
    class NeedsFailing:
        from modular_server.hooks import PluginSpec

        PLUGIN = PluginSpec(name="needs_failing", requires=("failing_startup",))

    async with make_app([healthy, misbehaving.FailingStartup(), NeedsFailing()], discover=False) as running:
        record = running.app.state.host.records["needs_failing"]
        assert record.state.value == "skipped"
        assert record.reason == (
            "requires plugin 'failing_startup', which is setup_failed: "
            "startup failed: ConnectionError: widget service unreachable"
        )
