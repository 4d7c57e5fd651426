"""A plugin that defines the ``fake_widget`` table the widgets plugin already owns."""

from __future__ import annotations

from types import ModuleType

from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="widgets_copy", version="1.0.0")


@hookimpl
def register_models() -> list[ModuleType]:
    from tests.fakes import widgets_copy_models

    return [widgets_copy_models]
