"""Test support for modular_server and plugin authors (the pytest plugin lives in pytest_plugin).

Installing modular-server registers the pytest plugin (``pytest11``): its fixtures
(``make_app``, ``running``, ``backend``, ``database_url``, ``settings_factory``, ``redis_url``,
``redis_prefix``) are there in every test, and it configures pytest-asyncio and the markers
``postgres``, ``redis`` and ``slow`` itself, so a plugin's tests need no pytest configuration.
Guide: docs/plugins/testing.md.
"""

from modular_server.testing.harness import (
    RunningApp,
    StatementCounter,
    count_statements,
    running_app,
    sources_with,
)
from modular_server.testing.proxy import TcpProxy
from modular_server.testing.pytest_plugin import BOTH
from modular_server.testing.waiting import eventually

__all__ = [
    "BOTH",
    "RunningApp",
    "StatementCounter",
    "TcpProxy",
    "count_statements",
    "eventually",
    "running_app",
    "sources_with",
]
