"""Core settings and per-plugin settings loading."""

from modular_server.settings.core import PluginSelection, Settings
from modular_server.settings.plugins import load_plugin_settings

__all__ = ["PluginSelection", "Settings", "load_plugin_settings"]
