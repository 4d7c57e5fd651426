"""A plugin whose manifest is invalid (prefixes is not a list)."""

from modular_server.plugin import PluginSpec

PLUGIN = PluginSpec(name="malformed")
