"""Imports, at the top, a package that is not installed (a dependency its author forgot to declare)."""

import modular_server_faulty_absent_package  # noqa: F401

from modular_server.hooks import PluginSpec

PLUGIN = PluginSpec(name="faulty_missing_import")
