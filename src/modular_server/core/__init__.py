"""The server's internals: app factory, plugin kernel, database, security, errors, migrations.

Internal: nothing here is promised to plugins and any of it may change in any release. Plugins
import what they need from :mod:`modular_server.plugin` (docs/plugins/public-api.md); an
import-linter contract in ``make test`` keeps plugins out of this package and this package
away from the plugins.
"""
