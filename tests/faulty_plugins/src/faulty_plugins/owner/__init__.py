"""Healthy: owns the table ``faulty_shared``; its models and routes come by convention."""

from modular_server.hooks import PluginSpec

PLUGIN = PluginSpec(name="faulty_owner", prefixes=("/api/v1/faulty_owner",))
