"""`plugins graph` shows every plugin: those on a cycle with its path, disabled and failed ones
with their state."""

from __future__ import annotations

import json

from tests.cli.support import environment, install
from tests.core.cli import clean_environment, run

PLUGINS = ["fixture_ok", "fixture_cycle_a", "fixture_cycle_b", "fixture_import_markup"]


def test_graph_shows_cycles_and_failed_plugins(database_url, tmp_path):
    env = environment(database_url, install(tmp_path / "site", PLUGINS), PLUGINS)
    shown = run(["plugins", "graph"], env, tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = {line.split(". ", 1)[1] for line in shown.stdout.splitlines()}
    cycle = "fixture_cycle_a -> fixture_cycle_b -> fixture_cycle_a"
    assert f"fixture_cycle_a (setup_failed) - on a dependency cycle: {cycle}" in lines
    assert f"fixture_cycle_b (setup_failed) - on a dependency cycle: {cycle}" in lines
    assert "fixture_ok (active) - no requirements" in lines
    assert "fixture_import_markup (import_error) - requirements unknown (not imported, no plugin.toml)" in lines
    # a plugin with a manifest tells its requirements without being imported
    assert "lager (disabled) - after artikel, chargen" in lines

    document = json.loads(run(["plugins", "graph", "--json"], env, tmp_path).stdout)
    plugins = {p["name"]: p for p in document["plugins"]}
    assert set(document["order"]) >= set(PLUGINS)
    assert plugins["fixture_cycle_b"] == {
        "name": "fixture_cycle_b",
        "state": "setup_failed",
        "requires": ["fixture_cycle_a"],
        "imported": True,
        "declared": True,
        "cycle": ["fixture_cycle_a", "fixture_cycle_b", "fixture_cycle_a"],
    }
    assert plugins["fixture_ok"]["cycle"] is None

    one = json.loads(run(["plugins", "graph", "fixture_cycle_a", "--json"], env, tmp_path).stdout)
    assert one["order"] == ["fixture_cycle_a", "fixture_cycle_b"]


def test_graph_of_one_plugin_lists_what_it_requires(database_url, tmp_path):
    env = clean_environment(database_url, plugins__enabled='["artikel", "chargen", "lager", "cache"]')
    shown = run(["plugins", "graph", "lager"], env, tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert [line.split()[1] for line in shown.stdout.splitlines()] == ["artikel", "chargen", "lager"]
