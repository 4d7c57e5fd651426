"""What a command works with, built only as far as it needs (the command line starts fast).

``--help`` needs no plugin imported; ``plugins`` needs the plugin host (plugins imported,
models mapped, no routers); ``db`` and ``keys`` need the data layer (no web framework, no
routers; ``keys`` no plugin); ``serve``, ``plugins --check`` and the plugins' own commands get
the app the server builds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modular_server.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from modular_server.core.data import DataLayer
    from modular_server.core.plugins import PluginHost
    from modular_server.core.sources import PluginSource


@dataclass(slots=True)
class Session:
    settings: Settings
    #: the command being run (``app.state.cli_command``: plugins tell it from the server)
    command: str
    _apps: dict[tuple[bool, bool], Any] = field(default_factory=dict)
    _data: dict[bool, Any] = field(default_factory=dict)
    _host: Any = None
    _sources: Any = None

    def sources(self) -> list[PluginSource]:
        """The installed plugins (entry points, each with its manifest), discovered once."""
        if self._sources is None:
            from modular_server.core.sources import discover_entry_points

            self._sources = discover_entry_points()
        return self._sources

    def host(self) -> PluginHost:
        """Every plugin's record up to models and migrations; routers are not imported."""
        if self._host is None:
            from modular_server.core.plugins import PluginHost

            host = PluginHost(self.settings, routes=False)
            host.load(self.sources())
            host.raise_if_strict()
            self._host = host
        return self._host

    def data(self, *, plugins: bool = True) -> DataLayer:
        """Plugin host, database, migrator and API keys without the web framework and without
        routers; ``plugins=False``: the core alone (its tables, API keys), no plugin imported.
        Nothing here runs a plugin's ``startup``, so no plugin records this command's work."""
        if plugins not in self._data:
            from modular_server.core.data import build_data_layer

            self._data[plugins] = build_data_layer(self.settings, self.sources() if plugins else [], routes=False)
        return self._data[plugins]

    def app(self, *, routes: bool = False, plugins: bool = True) -> FastAPI:
        """The application, with the plugins' routers only when ``routes``; ``plugins=False``:
        the core alone (its tables, API keys), no plugin imported."""
        key = (routes, plugins)
        if key not in self._apps:
            from modular_server.core.app import create_app

            app = create_app(self.settings, sources=self.sources() if plugins else [], routes=routes)
            # work done here is not a request: plugins that record requests (monitoring) stay off
            app.state.cli_command = self.command
            self._apps[key] = app
        return self._apps[key]
