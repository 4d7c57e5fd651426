"""Core settings and per-plugin settings loading (internal: plugins use
``modular_server.plugin.PluginSettings`` and ``ServerSettings``)."""

from modular_server.settings.core import PluginSelection, Settings
from modular_server.settings.plugins import load_plugin_settings

__all__ = ["PluginSelection", "Settings", "load_plugin_settings"]
