"""Settings of the hello plugin: ``MODULAR_SERVER_HELLO__GREETING=Moin`` or ``[hello]`` in
modular-server.toml."""

from __future__ import annotations

from pydantic import Field

from modular_server.plugin import PluginSettings


class HelloSettings(PluginSettings):
    greeting: str = Field(default="Hallo", min_length=1, max_length=50)
