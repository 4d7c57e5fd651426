"""The artikel plugin: Artikel and Einheiten (units with conversion).

Nothing to wire by hand: name, prefixes and audited tables are in plugin.toml; models.py,
migrations/versions and routes.router are found by the kernel's conventions.
"""

from __future__ import annotations

from modular_server.plugin import PluginSpec

PLUGIN = PluginSpec.from_manifest(__name__)
