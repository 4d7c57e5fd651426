"""Helpers of the notifications tests: fast retries, the runtime, publishing an event."""

from __future__ import annotations

from typing import Any

from modular_server.hooks import DomainEvent
from modular_server.plugins.notifications.runtime import NotificationsRuntime
from modular_server.testing import RunningApp

#: fast retries, no scheduled daily check in the way of the tests
FAST = {"daily_check_enabled": False, "webhook_backoff_seconds": 0.05, "webhook_poll_seconds": 0.05}


def runtime_of(running: RunningApp) -> NotificationsRuntime:
    return running.app.state.host.data["notifications"]


async def publish(running: RunningApp, event_type: str, payload: dict[str, Any], **fields: Any) -> None:
    """Publish an event outside any transaction and wait until notifications has stored it."""
    await running.app.state.db.publish(DomainEvent(type=event_type, payload=payload, **fields))
    await runtime_of(running).drained()
