"""Helpers of the monitoring tests."""

from __future__ import annotations

from tests.support.apps import AppFactory

#: a value that must never appear in anything monitoring stores, logs or shows
SECRET = "GEHEIM-4711"
#: the ``monitored`` fixture: ``async with monitored(slow_query_ms=0) as running``
MonitoredApp = AppFactory
