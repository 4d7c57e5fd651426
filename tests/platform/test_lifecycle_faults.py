"""Startup/shutdown run under the deadline, a sync one off the event loop."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from pathlib import Path

import httpx
import pytest

from modular_server.hooks import PluginSpec, hookimpl
from modular_server.testing import BOTH, running_app, sources_with
from modular_server.testing.server import ServerProcess
from tests.platform.support import EVERYONE, assert_unavailable, assert_witnesses_serve

OVERRUN = "startup did not finish within 0.5s"


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_sync_startup_that_never_returns_is_abandoned_and_the_rest_serves(make_app):
    async with make_app(only=EVERYONE, startup_timeout_seconds=0.5, faulty_sync_hang={"startup": True}) as running:
        host = running.app.state.host
        record = host.records["faulty_sync_hang"]
        assert (record.state.value, record.reason) == ("setup_failed", OVERRUN)
        assert "startup_timeout_seconds (now 0.5)" in record.hint
        assert host.data["faulty_sync_hang"] == {"startup_entered": True}, "it ran, in its own thread"
        await assert_unavailable(running.client, "faulty_sync_hang", "setup_failed", OVERRUN)
        await assert_witnesses_serve(running.client, host.records)
        abandoned = [t for t in threading.enumerate() if t.name == "plugin-faulty_sync_hang-startup"]
        assert abandoned and all(t.daemon for t in abandoned), "abandoned threads never keep the process alive"


class WaitsForTheLoop:
    """A sync startup that returns only once a coroutine on the event loop has run: on the loop
    itself it could never return (the loop would be blocked by it)."""

    PLUGIN = PluginSpec(name="waits_for_loop")

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()
        self.released_in_time: bool | None = None

    @hookimpl
    def startup(self) -> None:
        self.entered.set()
        self.released_in_time = self.released.wait(timeout=20)


async def test_a_sync_startup_does_not_block_the_event_loop(settings_factory):
    plugin = WaitsForTheLoop()

    async def release() -> None:
        # a coroutine of the loop: it gets to run only while the loop is free
        await asyncio.to_thread(plugin.entered.wait, 20)
        plugin.released.set()

    releaser = asyncio.create_task(release())
    async with running_app(settings_factory(startup_timeout_seconds=30), sources_with([plugin], discover=False)) as r:
        assert plugin.released_in_time is True
        assert r.app.state.host.records["waits_for_loop"].state.value == "active"
    await releaser


async def test_a_sync_shutdown_that_never_returns_is_abandoned(make_app, caplog):
    caplog.set_level(logging.ERROR, "modular_server.plugins")
    async with make_app(
        only=["faulty_sync_hang", "hello"], startup_timeout_seconds=0.5, faulty_sync_hang={"shutdown": True}
    ) as running:
        assert running.app.state.host.records["faulty_sync_hang"].state.value == "active"
    assert "plugin faulty_sync_hang: shutdown did not finish within 0.5s; abandoned" in caplog.text


async def test_an_async_startup_that_overruns_is_abandoned(make_app):
    class Sleeper:
        PLUGIN = PluginSpec(name="sleeper")

        @hookimpl
        async def startup(self) -> None:
            await asyncio.Event().wait()

    async with make_app([Sleeper()], only=["hello"], startup_timeout_seconds=0.3) as running:
        records = running.app.state.host.records
        assert (records["sleeper"].state.value, records["sleeper"].reason) == (
            "setup_failed",
            "startup did not finish within 0.3s",
        )
        assert records["hello"].state.value == "active"


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_served_process_with_a_hanging_sync_plugin_stops_on_sigterm(database_url: str, tmp_path: Path):
    env = {
        "MODULAR_SERVER_DATABASE_URL": database_url,
        "MODULAR_SERVER_AUTO_MIGRATE": "true",
        "MODULAR_SERVER_PLUGINS__ENABLED": '["faulty_sync_hang", "hello"]',
        "MODULAR_SERVER_STARTUP_TIMEOUT_SECONDS": "1",
        "MODULAR_SERVER_FAULTY_SYNC_HANG__STARTUP": "true",
    }
    server = await asyncio.to_thread(ServerProcess(env, tmp_path, ready_timeout=60).start)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
            ready = (await client.get("/health/ready")).json()
            assert ready["plugins"]["setup_failed"] == 1 and ready["plugins"]["active"] == 1
            assert (await client.get("/health/live")).status_code == 200
        server.terminate()
        # bounded, not timed: a thread joined at exit would keep the process alive for ever;
        # uvicorn re-raises the signal it handled once it has shut down
        assert await asyncio.to_thread(server.wait, 15) in (0, -signal.SIGTERM)
    finally:
        await asyncio.to_thread(server.stop)
    log = server.log.read_text()
    assert "faulty_sync_hang: startup did not finish within 1.0s; abandoned" in log
    assert "Application shutdown complete." in log


async def test_a_timeout_raised_by_the_startup_itself_is_its_failure_not_an_overrun(make_app):
    class OwnTimeout:
        PLUGIN = PluginSpec(name="own_timeout")

        @hookimpl
        def startup(self) -> None:
            raise TimeoutError("supplier API did not answer within 3s")

    async with make_app([OwnTimeout()], discover=False) as running:
        record = running.app.state.host.records["own_timeout"]
        assert (record.state.value, record.reason) == (
            "setup_failed",
            "startup failed: TimeoutError: supplier API did not answer within 3s",
        )


async def test_an_async_shutdown_that_overruns_is_abandoned_and_the_others_shut_down(make_app, caplog):
    caplog.set_level(logging.ERROR, "modular_server.plugins")

    class Stuck:
        PLUGIN = PluginSpec(name="stuck", requires=("tidy",))

        @hookimpl
        async def shutdown(self) -> None:
            await asyncio.Event().wait()

    class Tidy:
        PLUGIN = PluginSpec(name="tidy")
        closed = False

        @hookimpl
        def shutdown(self) -> None:
            Tidy.closed = True

    async with make_app([Tidy(), Stuck()], discover=False, startup_timeout_seconds=0.3) as running:
        assert {r.name for r in running.app.state.host.active()} == {"tidy", "stuck"}
    assert "plugin stuck: shutdown did not finish within 0.3s; abandoned" in caplog.text
    assert Tidy.closed, "shut down after the stuck one (reverse dependency order), all the same"
