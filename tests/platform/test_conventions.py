"""Models, routes and migrations of a plugin package by convention; a hook wins."""

from __future__ import annotations

import pytest

from modular_server.core.sources import PluginSource
from modular_server.testing import BOTH, sources_with
from tests.fakes import healthy

CONVENTIONAL = PluginSource.from_module("tests.fakes.conventional", "conventional")
EXPLICIT = PluginSource.from_module("tests.fakes.explicit_wins", "explicit_wins")


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_package_without_hook_code_gets_its_models_routes_and_migrations(settings_factory):
    from modular_server.testing import running_app

    async with running_app(settings_factory(), sources_with([healthy, CONVENTIONAL], discover=False)) as running:
        record = running.app.state.host.records["conventional"]
        assert record.state.value == "active", record.reason
        assert record.hooks == (), "no hook code at all"
        assert record.tables == ("conv_gadget",)
        assert record.migrations is not None and record.migrations.name == "versions"
        created = await running.client.post("/api/v1/gadgets", json={"name": "Zange"})
        assert created.status_code == 201, created.text
        listed = await running.client.get("/api/v1/gadgets")
        assert listed.json() == {"items": [{"id": created.json()["id"], "name": "Zange"}]}
        statuses = {s.name: s for s in await running.app.state.migrator.status()}
        assert statuses["conventional"].current == ("conventional_0001",)


async def test_an_explicit_hook_wins_over_the_convention(make_app):
    async with make_app([EXPLICIT], discover=False) as running:
        assert running.app.state.host.records["explicit_wins"].hooks == ("register_routes",)
        chosen = await running.client.get("/api/v1/explicit/chosen")
        assert chosen.status_code == 200 and chosen.json() == {"by": "hook"}
        assert (await running.client.get("/api/v1/explicit/convention")).status_code == 404
