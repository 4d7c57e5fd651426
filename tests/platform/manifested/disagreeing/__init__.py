"""A plugin whose PLUGIN says something else than its manifest."""

from modular_server.plugin import PluginSpec

PLUGIN = PluginSpec(name="disagreeing", version="1.1.0", prefixes=("/api/v1/elsewhere",))
