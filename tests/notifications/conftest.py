"""Fixtures of the notifications tests."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from modular_server.hooks import DomainEvent
from modular_server.plugins.notifications.runtime import NotificationsRuntime
from modular_server.testing import RunningApp

AppFactory = Callable[..., AbstractAsyncContextManager[RunningApp]]
#: fast retries, no scheduled daily check in the way of the tests
FAST = {"daily_check_enabled": False, "webhook_backoff_seconds": 0.05, "webhook_poll_seconds": 0.05}


def runtime_of(running: RunningApp) -> NotificationsRuntime:
    return running.app.state.host.data["notifications"]


async def publish(running: RunningApp, event_type: str, payload: dict[str, Any], **fields: Any) -> None:
    """Publish an event outside any transaction and wait until notifications has stored it."""
    await running.app.state.db.publish(DomainEvent(type=event_type, payload=payload, **fields))
    await runtime_of(running).drained()


@pytest.fixture
def notifications_app(make_app: AppFactory) -> AppFactory:
    def build(
        only: tuple[str, ...] = ("notifications",), **notifications: Any
    ) -> AbstractAsyncContextManager[RunningApp]:
        return make_app(only=list(only), notifications={**FAST, **notifications})

    return build


async def insert_rows(running: RunningApp, table: str, rows: list[dict[str, Any]]) -> list[int]:
    """One multi-row INSERT into any plugin's table through the app's database; the new ids in order."""
    from sqlalchemy import insert
    from sqlalchemy.ext.asyncio import AsyncSession

    from modular_server.core.database import Base

    target = Base.metadata.tables[table]

    async def work(session: AsyncSession) -> list[int]:
        statement = insert(target).returning(target.c.id, sort_by_parameter_order=True)
        return list((await session.execute(statement, rows)).scalars())

    return await running.app.state.db.transaction(work)
