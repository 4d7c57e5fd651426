"""A plugin whose migration fails at start is taken out; the core's stays fatal."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from modular_server.core.app import create_app
from modular_server.testing import BOTH, sources_with
from tests.platform.support import EVERYONE, assert_unavailable, assert_witnesses_serve

REASON = "migration failed (revision faulty_migration_0001): RuntimeError: faulty revision refuses to run"


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_failing_migration_fails_only_its_plugin_and_skips_its_dependents(make_app):
    async with make_app(only=EVERYONE, faulty_migration={"armed": True}) as running:
        records = running.app.state.host.records
        failed = records["faulty_migration"]
        assert (failed.state.value, failed.reason) == ("setup_failed", REASON)
        assert failed.hint.startswith("fix the revision in ") and failed.hint.endswith(", then restart")
        assert failed.started is False, "its startup never runs"
        dependent = records["faulty_migration_dependent"]
        assert (dependent.state.value, dependent.reason) == (
            "skipped",
            f"requires plugin 'faulty_migration', which is setup_failed: {REASON}",
        )
        await assert_unavailable(running.client, "faulty_migration", "setup_failed", REASON)
        await assert_unavailable(running.client, "faulty_migration_dependent", "skipped", dependent.reason)
        await assert_witnesses_serve(running.client, records)
        listed = {p["name"]: p for p in (await running.client.get("/api/v1/system/plugins")).json()["items"]}
        assert (listed["faulty_migration"]["state"], listed["faulty_migration"]["reason"]) == ("setup_failed", REASON)
        statuses = {s.name: s for s in await running.app.state.migrator.status()}
        assert "faulty_migration" not in statuses and statuses["lager"].up_to_date


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_the_core_history_failing_stops_the_start(settings_factory, database_url):
    # a table in the way of the core's first revision
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE api_key (in_the_way INTEGER)"))
    await engine.dispose()
    app = create_app(settings_factory(), sources=sources_with(only=["hello"]))
    with pytest.raises(Exception) as refused:
        async with app.router.lifespan_context(app):
            pass
    assert "api_key" in str(refused.value)
