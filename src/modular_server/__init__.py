"""modular_server: a plugin-based API server for inventory work.

Plugin authors import what they need from :mod:`modular_server.plugin` (the public API);
everything else is internal.
"""

__version__ = "0.1.0"
