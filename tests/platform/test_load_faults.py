"""Faults of the import, contract and settings phases, and the kernel's messages."""

from __future__ import annotations

import pytest

from modular_server.hooks import CONTRACT_VERSION
from tests.platform.support import ALWAYS_FAILING, EVERYONE, FAULTY, assert_unavailable, assert_witnesses_serve

MISSING = "modular_server_faulty_absent_package"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
async def test_installed_faulty_plugins_fail_in_their_phase_and_the_rest_serves(make_app):
    async with make_app(only=EVERYONE, faulty_startup_raises={"armed": True}) as running:
        records = running.app.state.host.records
        states = {name: records[name].state.value for name in FAULTY}
        assert states == {
            **dict.fromkeys(FAULTY, "active"),
            **ALWAYS_FAILING,
            "faulty_startup_raises": "setup_failed",
        }

        missing = records["faulty_missing_import"]
        assert missing.reason == (
            f"missing Python package {MISSING!r} "
            "(imported by modular-server-faulty-plugins: faulty_plugins.missing_import)"
        )
        assert missing.hint.startswith(f"pip install {MISSING}  (or the distribution that provides {MISSING!r})")

        future = records["faulty_future_contract"]
        newer = CONTRACT_VERSION + 1
        assert (
            future.reason == f"written for plugin contract {newer}; this server implements contract {CONTRACT_VERSION}"
        )
        assert future.hint == (
            f"upgrade modular-server to a version implementing contract {newer}, "
            "or install an older version of the plugin"
        )

        startup = records["faulty_startup_raises"]
        assert startup.reason == "startup failed: ConnectionError: inventory feed unreachable at 127.0.0.1:9"
        assert startup.hint == (
            "fix what the startup of 'faulty_startup_raises' needs (its traceback is in the log), "
            "or disable the plugin (plugins.disabled = ['faulty_startup_raises'])"
        )
        await assert_unavailable(running.client, "faulty_startup_raises", "setup_failed", startup.reason)
        await assert_witnesses_serve(running.client, records)


async def test_invalid_settings_of_an_installed_plugin_fail_only_it(make_app):
    async with make_app(only=EVERYONE, faulty_gates={"authenticate": "perhaps"}) as running:
        record = running.app.state.host.records["faulty_gates"]
        assert record.state.value == "invalid_config"
        assert (
            record.reason
            == "invalid settings: authenticate: Input should be a valid boolean, unable to interpret input"
        )
        assert record.hint == "fix MODULAR_SERVER_FAULTY_GATES__* or the [faulty_gates] table"
        await assert_witnesses_serve(running.client, running.app.state.host.records)


async def test_an_installed_plugin_left_out_by_the_harness_is_not_enabled_not_missing(make_app):
    async with make_app(only=["faulty_migration_dependent", "hello"]) as running:
        records = running.app.state.host.records
        left_out = records["faulty_migration"]
        assert (left_out.state.value, left_out.reason) == ("disabled", "not selected")
        assert left_out.obj is None, "never imported"
        dependent = records["faulty_migration_dependent"]
        assert dependent.state.value == "skipped"
        assert (
            dependent.reason == "requires plugin 'faulty_migration', which is installed but not enabled (not selected)"
        )
        assert running.app.state.host.failures() == [dependent]


async def test_a_required_plugin_disabled_by_configuration_is_named_as_such(make_app):
    async with make_app(
        only=["faulty_migration_dependent", "faulty_migration"], disabled=["faulty_migration"]
    ) as running:
        dependent = running.app.state.host.records["faulty_migration_dependent"]
        assert dependent.reason == (
            "requires plugin 'faulty_migration', which is installed but not enabled (disabled by configuration)"
        )
        assert dependent.hint == "remove 'faulty_migration' from plugins.disabled / add it to plugins.enabled"
