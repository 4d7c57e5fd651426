"""Written for a plugin contract newer than the server's."""

from modular_server.hooks import CONTRACT_VERSION, PluginSpec

PLUGIN = PluginSpec(name="faulty_future_contract", contract=CONTRACT_VERSION + 1)
