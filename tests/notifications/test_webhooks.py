"""Webhooks: signed deliveries to a real local HTTP server, retried after a failure, recorded
with their status; a hanging target never blocks the server; pending deliveries survive a restart."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from modular_server.testing import BOTH, RunningApp, eventually
from tests.notifications.support import publish
from tests.support.apps import AppFactory

from .receiver import HANG, Receiver

SECRET = "s3cret-s3cret-s3cret"
BLOCKED = {"charge_id": 9, "nummer": "L-9", "grund": "Verdacht"}


async def register(running: RunningApp, url: str, event_types: list[str], secret: str = SECRET) -> int:
    r = await running.client.post(
        "/api/v1/notifications/webhooks", json={"url": url, "event_types": event_types, "secret": secret}
    )
    assert r.status_code == 201, r.text
    assert r.json()["secret"] == secret
    return r.json()["id"]


async def deliveries(running: RunningApp, target_id: int) -> list[dict[str, Any]]:
    r = await running.client.get(f"/api/v1/notifications/webhooks/{target_id}/deliveries")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def settled(running: RunningApp, target_id: int, status: str) -> Callable[[], Awaitable[Any]]:
    async def check() -> Any:
        found = await deliveries(running, target_id)
        return found if found and all(d["status"] == status for d in found) else None

    return check


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_signed_delivery_is_retried_after_a_500(notifications_app: AppFactory) -> None:
    async with Receiver(answers=[500, 200]) as receiver, notifications_app() as running:
        target = await register(running, receiver.url, ["charge.gesperrt"])
        other = await register(running, receiver.url, ["reservierung.angelegt"])
        await publish(running, "charge.gesperrt", BLOCKED, severity="warning")

        first, second = await receiver.wait_for(2)
        assert first.body == second.body  # a retry sends the same bytes, hence the same signature
        expected = "sha256=" + hmac.new(SECRET.encode(), second.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(second.headers["x-modular-signature"], expected)
        assert second.headers["x-modular-event"] == "charge.gesperrt"
        sent = json.loads(second.body)
        assert sent["title"] == "Charge L-9 blocked" and sent["payload"] == BLOCKED

        [delivery] = await eventually(settled(running, target, "delivered"))
        assert delivery["attempts"] == 2
        assert delivery["last_status_code"] == 200 and delivery["last_error"] is None
        assert await deliveries(running, other) == []  # it wants another event type
        assert len(receiver.requests) == 2


async def test_hanging_target_never_blocks_the_server(notifications_app: AppFactory) -> None:
    async with (
        Receiver(answers=[HANG]) as hanging,
        Receiver(answers=[200]) as healthy,
        notifications_app(webhook_timeout_seconds=0.2, webhook_max_attempts=2) as running,
    ):
        stuck = await register(running, hanging.url, ["*"])
        fine = await register(running, healthy.url, ["*"])
        await publish(running, "charge.gesperrt", BLOCKED)

        await hanging.wait_for(1)
        # while the hanging target holds its request, the API answers and the other target is served
        assert (await running.client.get("/api/v1/notifications")).status_code == 200
        await eventually(settled(running, fine, "delivered"))
        [pending] = await deliveries(running, stuck)
        assert pending["status"] == "pending" and pending["attempts"] == 1

        # each attempt is cut off by the timeout; after webhook_max_attempts the delivery is given up
        [failed] = await eventually(settled(running, stuck, "failed"))
        assert failed["attempts"] == 2
        assert failed["last_error"] == "ReadTimeout: no answer within 0.2s"
        assert len(hanging.requests) == 2


async def test_pending_delivery_survives_a_restart(notifications_app: AppFactory) -> None:
    async with Receiver(answers=[HANG, 200]) as receiver:
        async with notifications_app() as running:
            target = await register(running, receiver.url, ["charge.gesperrt"])
            await publish(running, "charge.gesperrt", BLOCKED)
            await receiver.wait_for(1)
        # the server stopped while the delivery was in flight: it is due again at once
        async with notifications_app() as restarted:
            [delivery] = await eventually(settled(restarted, target, "delivered"))
            assert delivery["attempts"] == 2
            assert receiver.requests[0].body == receiver.requests[1].body


async def test_webhook_administration(notifications_app: AppFactory) -> None:
    async with notifications_app() as running:
        client = running.client
        r = await client.post("/api/v1/notifications/webhooks", json={"url": "ftp://x", "event_types": ["*"]})
        assert r.status_code == 422
        r = await client.post("/api/v1/notifications/webhooks", json={"url": "http://127.0.0.1:9/a", "event_types": []})
        assert r.status_code == 422
        r = await client.post(
            "/api/v1/notifications/webhooks", json={"url": "http://127.0.0.1:9/a", "event_types": ["*"]}
        )
        assert r.status_code == 201
        created = r.json()
        assert len(created["secret"]) >= 32  # generated

        listed = (await client.get("/api/v1/notifications/webhooks")).json()["items"]
        assert [t["id"] for t in listed] == [created["id"]]
        assert "secret" not in listed[0]

        assert (await client.delete(f"/api/v1/notifications/webhooks/{created['id']}")).status_code == 204
        assert (await client.get("/api/v1/notifications/webhooks")).json()["items"] == []
        assert (await client.delete(f"/api/v1/notifications/webhooks/{created['id']}")).status_code == 404
