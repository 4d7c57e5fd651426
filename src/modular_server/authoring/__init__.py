"""The authoring kit: ``modular-server plugins new NAME`` writes a complete plugin package."""

from modular_server.authoring.generator import PluginTemplateError, generate_plugin, validate_name

__all__ = ["PluginTemplateError", "generate_plugin", "validate_name"]
