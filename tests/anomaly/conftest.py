"""Fixtures of the anomaly tests: an app with the inventory plugins and the anomaly plugin."""

from __future__ import annotations

from typing import Any

import pytest

from tests.anomaly.support import FAST, INVENTORY
from tests.support.apps import AppFactory


@pytest.fixture
def anomaly_app(make_app: AppFactory) -> AppFactory:
    def build(extra: tuple[str, ...] = (), core: dict[str, Any] | None = None, **anomaly: Any) -> Any:
        """``extra``: more plugins; ``core``: settings of the core or other plugins."""
        return make_app(only=[*INVENTORY, "anomaly", *extra], anomaly={**FAST, **anomaly}, **(core or {}))

    return build
