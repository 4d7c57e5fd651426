"""A conventional plugin package whose models map but whose routes lie outside its prefixes."""

from modular_server.hooks import PluginSpec

PLUGIN = PluginSpec(name="late_failure", prefixes=("/api/v1/late",))
