"""Per-plugin migration histories on SQLite and PostgreSQL - upgrade from empty, drift
check (indexes included), disabling keeps data, and refusing to start on a schema behind."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from modular_server.core.app import create_app
from modular_server.core.migrator import MigrationRequired
from modular_server.testing import BOTH, running_app, sources_with
from tests.fakes import healthy, widgets

WIDGET_INDEX = "ix_fake_widget_group_id"


async def _tables(app) -> set[str]:
    async with app.state.db.engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_upgrade_from_empty_applies_core_and_plugin_histories(make_app):
    async with make_app([widgets], discover=False) as running:
        statuses = {s.name: (s.current, s.heads) for s in await running.app.state.migrator.status()}
        assert statuses == {
            "core": (("core_0003",), ("core_0003",)),
            "widgets": (("widgets_0001",), ("widgets_0001",)),
        }
        tables = await _tables(running.app)
        assert {"api_key", "fake_widget", "fake_widget_group", "alembic_version_core", "alembic_version_widgets"} <= (
            tables
        )
        # upgrading again is a no-op
        again = await running.app.state.migrator.upgrade()
        assert all(s.up_to_date for s in again)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_every_installed_plugin_upgrades_from_empty_without_drift(make_app):
    async with make_app() as running:
        migrator = running.app.state.migrator
        assert [s.name for s in await migrator.status() if not s.up_to_date] == []
        assert await migrator.drift() == {}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_drift_check_is_clean_after_upgrade_and_finds_a_dropped_index(make_app):
    async with make_app([widgets], discover=False) as running:
        migrator = running.app.state.migrator
        assert await migrator.drift() == {}
        async with running.app.state.db.engine.begin() as conn:
            await conn.execute(text(f"DROP INDEX {WIDGET_INDEX}"))
        drift = await migrator.drift()
        assert [(d.kind, d.table, d.name) for d in drift["widgets"]] == [("add_index", "fake_widget", WIDGET_INDEX)]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_disabling_a_plugin_keeps_its_data_and_upgrade_still_works(settings_factory):
    async with running_app(settings_factory(), sources_with([widgets], discover=False)) as running:
        group = await running.client.post("/api/v1/widgets/groups", json={"name": "Schrauben"})
        created = await running.client.post("/api/v1/widgets", json={"name": "M4", "group_id": group.json()["id"]})
        assert created.status_code == 201

    disabled = settings_factory(plugins={"disabled": ["widgets"]})
    async with running_app(disabled, sources_with([widgets, healthy], discover=False)) as running:
        assert running.app.state.host.records["widgets"].state.value == "disabled"
        statuses = await running.app.state.migrator.upgrade()
        assert [s.name for s in statuses] == ["core"]
        async with running.app.state.db.engine.connect() as conn:
            assert (await conn.execute(text("SELECT name FROM fake_widget"))).scalars().all() == ["M4"]
            version = await conn.execute(text("SELECT version_num FROM alembic_version_widgets"))
            assert version.scalars().all() == ["widgets_0001"]
        assert (await running.client.get("/api/v1/widgets")).status_code == 503

    async with running_app(settings_factory(), sources_with([widgets], discover=False)) as running:
        items = (await running.client.get("/api/v1/widgets")).json()["items"]
        assert [w["name"] for w in items] == ["M4"]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_schema_behind_without_auto_migrate_refuses_to_start(settings_factory):
    async with running_app(settings_factory(), sources_with([], discover=False)):
        pass  # the core's history is current, the widgets history is not there at all

    app = create_app(settings_factory(auto_migrate=False), sources=sources_with([widgets], discover=False))
    with pytest.raises(MigrationRequired) as refused:
        async with app.router.lifespan_context(app):
            pass
    message = str(refused.value)
    assert "behind for: widgets" in message
    assert "run `modular-server db upgrade`" in message
    # the refusing app migrated nothing
    inspector = create_app(settings_factory(), sources=sources_with([], discover=False))
    try:
        assert not {t for t in await _tables(inspector) if t.startswith("fake_widget")}
    finally:
        await inspector.state.db.dispose()


def test_auto_migrate_defaults_to_on_for_sqlite_only():
    from modular_server.settings import Settings

    assert Settings(database_url="sqlite+aiosqlite:///x.db").migrate_on_startup is True
    assert Settings(database_url="postgresql+asyncpg://u@h/db").migrate_on_startup is False
    assert Settings(database_url="postgresql+asyncpg://u@h/db", auto_migrate=True).migrate_on_startup is True
