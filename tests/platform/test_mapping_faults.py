"""A plugin whose models fail to map leaves no trace in the shared registry."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy.orm import clsregistry, configure_mappers

from modular_server.core.app import create_app
from modular_server.core.database import Base
from modular_server.testing import BOTH, running_app, sources_with
from tests.fakes import healthy, widgets, widgets_copy
from tests.platform.support import EVERYONE, assert_unavailable, assert_witnesses_serve

FAILED_MODULES = ("faulty_plugins.table_clash.clashing_models", "faulty_plugins.relationship.broken_models")
CLASH = (
    "table 'faulty_shared' is already defined by plugin 'faulty_owner'; plugin 'faulty_table_clash' defines it again"
)


def _classes_of(module: str) -> list[type]:
    registry = Base.registry._class_registry
    found = [v for v in registry.values() if isinstance(v, type)]
    markers = [v for v in registry.values() if isinstance(v, clsregistry._MultipleClassMarker)]
    found += [c for marker in markers for c in (ref() for ref in marker.contents) if c is not None]
    mapped = [m.class_ for m in Base.registry.mappers]
    return [c for c in found + mapped if c.__module__ == module]


def _assert_no_trace() -> None:
    for module in FAILED_MODULES:
        assert _classes_of(module) == [], module
        assert module not in sys.modules, "dropped, so that a retry imports it afresh"
    assert {"faulty_parent", "faulty_child"}.isdisjoint(Base.metadata.tables)
    configure_mappers()  # nothing half-mapped is left to fail it


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_models_that_fail_to_map_are_removed_and_the_rest_serves(make_app):
    arm = {"faulty_table_clash": {"armed": True}, "faulty_relationship": {"armed": True}}
    async with make_app(only=EVERYONE, **arm) as running:
        records = running.app.state.host.records
        clash, broken = records["faulty_table_clash"], records["faulty_relationship"]
        assert (clash.state.value, clash.reason) == ("setup_failed", CLASH)
        assert clash.hint == "a table has exactly one owning plugin: reuse it through requires"
        assert broken.state.value == "setup_failed"
        assert broken.reason.startswith("its models do not configure: ") and "FaultyNobody" in broken.reason
        assert clash.tables == broken.tables == ()
        _assert_no_trace()
        # the owner keeps its table; plugins with models loaded after the failures still map
        assert records["faulty_owner"].tables == ("faulty_shared",)
        assert "faulty_shared" in Base.metadata.tables
        assert running.app.state.host.table_owner["faulty_shared"] == "faulty_owner"
        assert records["lager"].tables and records["chargen"].tables
        await assert_witnesses_serve(running.client, records)
        await assert_unavailable(running.client, "faulty_relationship", "setup_failed", broken.reason)
        # a query through the ORM (mappers configured) works
        created = await running.client.post("/api/v1/lager", json={"code": "W1", "name": "Werk 1"})
        assert created.status_code == 201, created.text


async def test_a_retry_imports_the_failed_models_again_and_fails_the_same_way(settings_factory):
    settings = settings_factory(faulty_relationship={"armed": True})
    reasons = []
    for _ in range(2):
        app = create_app(settings, sources=sources_with(only=["faulty_relationship", "faulty_owner"]))
        record = app.state.host.records["faulty_relationship"]
        reasons.append((record.state.value, record.reason))
        _assert_no_trace()
    assert reasons[0] == reasons[1] and reasons[0][0] == "setup_failed"


async def test_a_copied_table_leaves_no_class_behind_for_later_apps(settings_factory):
    """The order-dependent UnmappedClassError (CopiedWidget) of tests/core/test_plugin_states.py."""
    first = create_app(settings_factory(), sources=sources_with([widgets, widgets_copy], discover=False))
    assert first.state.host.records["widgets_copy"].state.value == "setup_failed"
    assert _classes_of("tests.fakes.widgets_copy_models") == []
    configure_mappers()
    async with running_app(settings_factory(), sources_with([healthy, widgets], discover=False)) as running:
        assert (await running.client.get("/api/v1/widgets")).status_code == 200


async def test_models_of_a_plugin_failing_later_in_its_setup_are_removed_too(settings_factory):
    from modular_server.core.sources import PluginSource

    late = PluginSource.from_module("tests.fakes.late_failure", "late_failure")
    app = create_app(settings_factory(), sources=sources_with([healthy, late], discover=False))
    record = app.state.host.records["late_failure"]
    assert (record.state.value, record.reason) == (
        "setup_failed",
        "route '/api/v1/elsewhere' lies outside the declared prefixes ['/api/v1/late']",
    )
    assert record.tables == () and "late_thing" not in app.state.host.table_owner
    assert "late_thing" not in Base.metadata.tables
    assert _classes_of("tests.fakes.late_failure.models") == []
    assert {"tests.fakes.late_failure.models", "tests.fakes.late_failure.routes"}.isdisjoint(sys.modules)
    configure_mappers()
