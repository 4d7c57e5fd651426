from modular_server.plugin import PluginSpec

PLUGIN = PluginSpec(name="fixture_cycle_a", requires=("fixture_cycle_b",))
