"""Events become notifications: stored once per (type, object, day), listed newest first with
keyset pagination, marked read one by one or all at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.hooks import DomainEvent
from modular_server.plugins.notifications import service
from modular_server.testing import BOTH
from tests.notifications.support import publish, runtime_of
from tests.support.apps import AppFactory

RECALL = {"charge_id": 5, "artikel_id": 2, "nummer": "L-17", "offene_reservierungen": 1, "ausgaenge": 3}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_event_becomes_one_notification(notifications_app: AppFactory) -> None:
    async with notifications_app() as running:
        await publish(running, "charge.zurueckgerufen", RECALL, severity="critical")
        await publish(running, "charge.zurueckgerufen", RECALL, severity="critical")  # same fact, same day
        await publish(running, "lieferant.neu", {"name": "Acme"})  # unknown type: stored with its type as title

        r = await running.client.get("/api/v1/notifications")
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [n["type"] for n in items] == ["lieferant.neu", "charge.zurueckgerufen"]
        recall = items[1]
        assert recall["title"] == "Charge L-17 recalled"
        assert recall["message"] == "1 open reservations, 3 outgoing movements affected"
        assert recall["link"] == "/api/v1/chargen/5"
        assert recall["severity"] == "critical"
        assert recall["gelesen"] is False
        assert items[0]["title"] == "lieferant.neu" and items[0]["link"] is None

        # the same object on another day is a new notification
        tomorrow = datetime(2031, 1, 2, 8, tzinfo=UTC)
        await publish(running, "charge.zurueckgerufen", RECALL, occurred_at=tomorrow)
        assert len((await running.client.get("/api/v1/notifications")).json()["items"]) == 3


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_unread_filter_pagination_and_read_flags(notifications_app: AppFactory, backend: str) -> None:
    async with notifications_app() as running:
        for charge_id in range(1, 6):
            await publish(running, "charge.gesperrt", {"charge_id": charge_id, "nummer": f"C{charge_id}"})
        ids: list[int] = []
        cursor = None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (await running.client.get("/api/v1/notifications", params=params)).json()
            ids += [n["id"] for n in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert ids == sorted(ids, reverse=True) and len(ids) == 5

        r = await running.client.post(f"/api/v1/notifications/{ids[0]}/gelesen")
        assert r.status_code == 200 and r.json()["gelesen"] is True
        unread = (await running.client.get("/api/v1/notifications", params={"ungelesen": True})).json()["items"]
        assert [n["id"] for n in unread] == ids[1:]

        r = await running.client.post("/api/v1/notifications/gelesen")
        assert r.json() == {"gelesen": 4}
        assert (await running.client.get("/api/v1/notifications?ungelesen=true")).json()["items"] == []

        r = await running.client.post("/api/v1/notifications/999999/gelesen")
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"

        # one SELECT per page (SQLite also sends its BEGIN)
        with running.count_statements() as sql:
            assert (await running.client.get("/api/v1/notifications?limit=2")).status_code == 200
        assert sql.count == (2 if backend == "sqlite" else 1)


async def test_domain_events_of_the_inventory_plugins_arrive(notifications_app: AppFactory) -> None:
    async with notifications_app(only=("artikel", "chargen", "notifications")) as running:
        client = running.client
        einheit = await client.post(
            "/api/v1/einheiten", json={"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": 1}
        )
        artikel = await client.post(
            "/api/v1/artikel", json={"nummer": "A-1", "name": "Mehl", "einheit_id": einheit.json()["id"]}
        )
        charge = await client.post("/api/v1/chargen", json={"artikel_id": artikel.json()["id"], "nummer": "L-1"})
        charge_id = charge.json()["id"]
        assert (await client.post(f"/api/v1/chargen/{charge_id}/sperren", json={})).status_code == 200
        await runtime_of(running).drained()

        items = (await client.get("/api/v1/notifications")).json()["items"]
        assert [(n["type"], n["title"], n["link"]) for n in items] == [
            ("charge.gesperrt", "Charge L-1 blocked", f"/api/v1/chargen/{charge_id}")
        ]


async def test_read_scope_lists_but_cannot_administer_webhooks(notifications_app: AppFactory) -> None:
    async with notifications_app() as running:
        reader = running.as_scope("read")
        assert (await reader.get("/api/v1/notifications")).status_code == 200
        assert (await reader.post("/api/v1/notifications/gelesen")).status_code == 403
        writer = running.as_scope("write")
        assert (await writer.get("/api/v1/notifications/webhooks")).status_code == 403
        r = await writer.post("/api/v1/notifications/webhooks", json={"url": "http://x", "event_types": ["*"]})
        assert r.status_code == 403


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_burst_of_events_is_stored_together_and_a_bad_one_costs_no_other(
    notifications_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with notifications_app() as running:
        runtime = runtime_of(running)
        stored_in: list[int] = []  # events per store() call
        real_store = runtime.store

        async def counted(events: Sequence[DomainEvent]) -> int:
            stored_in.append(len(events))
            return await real_store(events)

        async def refuses_one(session: AsyncSession, event: DomainEvent) -> service.Stored | None:
            if event.payload.get("nummer") == "BAD":
                raise RuntimeError("cannot be stored")
            return await store_one(session, event)

        store_one = service.store
        monkeypatch.setattr(runtime, "store", counted)
        monkeypatch.setattr(service, "store", refuses_one)
        for n in range(20):  # offered while the storing task waits for the loop: one burst
            runtime.offer(
                DomainEvent(type="charge.zurueckgerufen", payload={**RECALL, "charge_id": n, "nummer": f"L-{n}"})
            )
        runtime.offer(DomainEvent(type="charge.zurueckgerufen", payload={**RECALL, "charge_id": 99, "nummer": "BAD"}))
        await runtime.drained()

        items = (await running.client.get("/api/v1/notifications", params={"limit": 100})).json()["items"]
        assert sorted(n["link"] for n in items) == sorted(f"/api/v1/chargen/{n}" for n in range(20))
        # the burst went as one transaction; it failed on the bad event, then each went alone
        assert stored_in[0] == 21 and stored_in[1:] == [1] * 21, stored_in
