"""A plugin whose migration fails when it runs."""

from __future__ import annotations

from pathlib import Path

from modular_server.plugin import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="fixture_bad_migration")


@hookimpl
def migration_locations() -> Path:
    return Path(__file__).parent / "versions"
