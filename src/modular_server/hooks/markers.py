"""The pluggy markers of the contract. Project name: ``modular_server``."""

import pluggy

PROJECT_NAME = "modular_server"
#: the entry-point group through which installed packages offer plugins
ENTRY_POINT_GROUP = "modular_server.plugins"

#: The version of the plugin contract this core implements. A plugin declares the version it
#: was written for in its :class:`PluginSpec`; a different major version is refused.
CONTRACT_VERSION = 1

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
