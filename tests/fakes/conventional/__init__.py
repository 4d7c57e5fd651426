"""A plugin package with no hook code at all: its ``models`` module, the ``router`` of its
``routes`` module and its ``migrations/versions`` folder are registered by convention."""

from modular_server.hooks import PluginSpec

PLUGIN = PluginSpec(name="conventional", version="1.0.0", prefixes=("/api/v1/gadgets",))
