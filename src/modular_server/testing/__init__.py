"""Test support for modular_server and plugin authors (the pytest plugin lives in pytest_plugin)."""

from modular_server.testing.harness import (
    RunningApp,
    StatementCounter,
    count_statements,
    running_app,
    sources_with,
)
from modular_server.testing.pytest_plugin import BOTH
from modular_server.testing.waiting import eventually

__all__ = ["BOTH", "RunningApp", "StatementCounter", "count_statements", "eventually", "running_app", "sources_with"]
