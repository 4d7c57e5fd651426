"""Fixtures of the notifications tests."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from modular_server.testing import RunningApp
from tests.notifications.support import FAST
from tests.support.apps import AppFactory


@pytest.fixture
def notifications_app(make_app: AppFactory) -> AppFactory:
    def build(
        only: tuple[str, ...] = ("notifications",), **notifications: Any
    ) -> AbstractAsyncContextManager[RunningApp]:
        return make_app(only=list(only), notifications={**FAST, **notifications})

    return build
