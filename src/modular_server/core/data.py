"""The data layer of one server: the plugin host, the database, its migrations and the API
keys - everything the app is built on, and all that the command line's ``db`` and ``keys``
need. Built without the web framework: those commands serve no request, and start without
importing FastAPI; :func:`modular_server.core.app.create_app` builds the app on top of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from modular_server.core.database import Database
from modular_server.core.migrator import Migrator
from modular_server.core.plugins import PluginHost
from modular_server.core.security import KeyStore
from modular_server.core.sources import PluginSource
from modular_server.settings import Settings


@dataclass(frozen=True, slots=True)
class DataLayer:
    settings: Settings
    host: PluginHost
    db: Database
    migrator: Migrator
    keys: KeyStore


def build_data_layer(settings: Settings, sources: Iterable[PluginSource], *, routes: bool = True) -> DataLayer:
    """Load the plugins of ``sources`` (their routers only with ``routes``) and open the
    database over them. Raises :class:`~modular_server.core.plugins.PluginStartupError` in
    strict mode when an enabled plugin cannot be loaded."""
    host = PluginHost(settings, routes=routes)
    host.load(sources)
    host.raise_if_strict()
    db = Database(settings, host)
    return DataLayer(settings, host, db, Migrator(db, host), KeyStore(db, settings.api_key_cache_seconds))
