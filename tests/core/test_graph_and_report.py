"""Load order (deterministic, ties by name, cycles with their path) and the plugin report."""

from __future__ import annotations

from modular_server.core.graph import explain_order, find_cycle, topological_order
from modular_server.hooks import PluginSpec
from tests.core.support import BROKEN
from tests.fakes import healthy, tuned, widgets


def test_topological_order_puts_requirements_first_and_breaks_ties_by_name():
    requires = {"zeta": [], "delta": ["zeta", "alpha"], "alpha": [], "beta": ["alpha"], "gamma": []}
    assert topological_order(requires) == ["alpha", "beta", "gamma", "zeta", "delta"]
    # the order of the mapping never matters
    assert topological_order(dict(reversed(requires.items()))) == ["alpha", "beta", "gamma", "zeta", "delta"]
    assert explain_order(requires)[-1] == ("delta", ["alpha", "zeta"])


def test_find_cycle_returns_the_path_and_ignores_unknown_names():
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["not-installed"], "b": ["a"]}) is None
    assert topological_order({"a": ["b"], "b": ["a"], "c": []}) == ["c"]


class _Needs:
    def __init__(self, name: str, *requires: str) -> None:
        self.PLUGIN = PluginSpec(name=name, requires=requires)


async def test_app_loads_plugins_in_dependency_order(make_app):
    plugins = [_Needs("c_top", "b_mid"), _Needs("b_mid", "a_base"), _Needs("a_base"), _Needs("a_other"), healthy]
    async with make_app(plugins, discover=False) as running:
        assert running.app.state.host.order == ["a_base", "a_other", "b_mid", "c_top", "healthy"]
        body = (await running.client.get("/api/v1/system/plugins")).json()
        assert body["order"] == ["a_base", "a_other", "b_mid", "c_top", "healthy"]


async def test_system_plugins_lists_every_plugin_with_state_reason_and_timings(make_app):
    async with make_app([healthy, tuned, widgets, BROKEN], discover=False) as running:
        r = await running.client.get("/api/v1/system/plugins")
        assert r.status_code == 200
        items = {item["name"]: item for item in r.json()["items"]}
        assert set(items) == {"broken", "healthy", "tuned", "widgets"}

        w = items["widgets"]
        assert w["state"] == "active" and w["reason"] == "" and w["version"] == "1.0.0"
        assert w["prefixes"] == ["/api/v1/widgets"]
        assert w["hooks"] == ["health_checks", "migration_locations", "register_models", "register_routes", "startup"]
        assert w["tables"] == ["fake_widget", "fake_widget_group"]
        assert set(w["timings_ms"]) == {"import", "register", "config", "setup", "startup"}
        assert all(ms >= 0 for ms in w["timings_ms"].values())
        assert items["tuned"]["hooks"] == ["plugin_settings", "register_routes"]

        b = items["broken"]
        assert (b["state"], b["reason"]) == ("import_error", "RuntimeError: boom at import")
        assert b["hint"].startswith("fix the import error in tests.fakes.raises_on_import (raised at ")
        assert b["hint"].endswith("raises_on_import.py:3)")
        assert b["version"] is None and b["origin"] == "tests.fakes.raises_on_import"
        assert set(b["timings_ms"]) == {"import"}

        for scope in ("read", "write"):
            assert (await running.as_scope(scope).get("/api/v1/system/plugins")).status_code == 403
