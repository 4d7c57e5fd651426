"""Fixtures of the monitoring tests: an app with the monitoring plugin and the test shop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from modular_server.testing import RunningApp
from tests.monitoring import shop
from tests.monitoring.shop.routes import seed
from tests.monitoring.support import MonitoredApp
from tests.support.apps import AppFactory


@pytest.fixture
def monitored(make_app: AppFactory) -> MonitoredApp:
    """``async with monitored(slow_query_ms=0) as running`` - monitoring plus the shop with six
    widgets; the admin key is verified once, so later requests run only their own statements.
    The background flush is pushed out of the test's way (the API flushes before answering)."""

    @asynccontextmanager
    async def build(**monitoring: Any) -> AsyncIterator[RunningApp]:
        settings = {"flush_interval_seconds": 3600, **monitoring}
        async with make_app(plugins=[shop], only=["monitoring"], monitoring=settings) as running:
            await seed(running.app)
            assert (await running.client.get("/api/v1/monshop/widgets")).status_code == 200
            yield running

    return build
