"""The query lifecycle (exact counts, fingerprints without values) and the commit
lifecycle (changes and events after COMMIT only), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from modular_server.core.database import publish_event
from modular_server.hooks import Change, DomainEvent
from modular_server.testing import BOTH
from tests.fakes import spy, widgets
from tests.fakes.widgets.models import FakeWidget, FakeWidgetGroup
from tests.fakes.widgets.routes import ROLLED_BACK

LITERAL = "Zebrafisch-4711-geheim"


async def _widget(running, name: str = "M4") -> tuple[int, int]:
    group = await running.client.post("/api/v1/widgets/groups", json={"name": f"Gruppe {name}"})
    widget = await running.client.post("/api/v1/widgets", json={"name": name, "group_id": group.json()["id"]})
    assert widget.status_code == 201, widget.text
    return widget.json()["id"], group.json()["id"]


def _clear(app) -> dict[str, list]:
    seen = spy.seen(app)
    for found in seen.values():
        found.clear()
    return seen


# --- query lifecycle -----------------------------------------------------------------------


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_observers_start_with_their_plugin_not_during_migrations(make_app):
    async with make_app([widgets, spy], discover=False) as running:
        record = running.app.state.host.records["spy"]
        assert (record.state.value, record.observer_failures) == ("active", 0)
        assert not [q for q in spy.seen(running.app)["queries"] if q.fingerprint.upper().startswith("CREATE")]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_request_context_counts_statements_exactly(make_app, backend):
    begin = 1 if backend == "sqlite" else 0  # the core sends BEGIN itself on SQLite
    async with make_app([widgets, spy], discover=False) as running:
        widget_id, _ = await _widget(running)
        seen = _clear(running.app)
        with running.count_statements() as sql:
            r = await running.client.get(f"/api/v1/widgets/{widget_id}")
        assert r.status_code == 200
        assert sql.count == 1 + begin, sql.statements
        assert seen["requests"] == [("/api/v1/widgets/{widget_id}", 200, 1 + begin)]
        assert len(seen["queries"]) == 1 + begin
        select_ = seen["queries"][-1]
        assert select_.is_select and select_.rowcount in (1, -1) and select_.duration >= 0
        assert select_.fingerprint.startswith("SELECT fake_widget.id, fake_widget.name")

        with running.count_statements() as sql:
            assert (await running.client.get("/health/live")).status_code == 200
        assert sql.count == 0
        assert seen["requests"][-1][1:] == (200, 0)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_hooks_and_logs_never_see_parameter_values(make_app, caplog):
    caplog.set_level("DEBUG")
    caplog.set_level("INFO", logger="sqlalchemy.engine")  # SQLAlchemy logs every statement at INFO
    async with make_app([widgets, spy], discover=False) as running:
        _, group_id = await _widget(running)
        seen = _clear(running.app)
        r = await running.client.post("/api/v1/widgets", json={"name": LITERAL, "group_id": group_id})
        assert r.status_code == 201
        duplicate = await running.client.post("/api/v1/widgets", json={"name": LITERAL, "group_id": group_id})
        assert duplicate.status_code == 409
        assert LITERAL not in duplicate.text

        # a statement that fails is not reported as executed
        inserts = [q for q in seen["queries"] if q.fingerprint.startswith("INSERT INTO fake_widget ")]
        assert len(inserts) == 1
        assert "?" in inserts[0].fingerprint
        for query in seen["queries"]:
            assert query.parameters is None
            assert LITERAL not in query.fingerprint and LITERAL not in query.statement

        async def duplicate_widget(session) -> None:
            session.add(FakeWidget(name=LITERAL, group_id=group_id, counter=0))

        with pytest.raises(IntegrityError) as failed:
            await running.app.state.db.transaction(duplicate_widget)
        assert LITERAL not in str(failed.value)
        assert "INSERT INTO fake_widget" in caplog.text, "statements were logged ..."
        assert LITERAL not in caplog.text, "... but never their values"


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_parameters_reach_hooks_only_when_explicitly_allowed(make_app):
    async with make_app([widgets, spy], discover=False, log_sql_parameters=True) as running:
        _, group_id = await _widget(running)
        seen = _clear(running.app)
        await running.client.post("/api/v1/widgets", json={"name": LITERAL, "group_id": group_id})
        insert = next(q for q in seen["queries"] if q.fingerprint.startswith("INSERT INTO fake_widget "))
        assert LITERAL in repr(insert.parameters)
        assert LITERAL not in insert.fingerprint


# --- commit lifecycle ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_changes_and_events_are_delivered_after_commit_with_keys_and_foreign_keys(make_app):
    async with make_app([widgets, spy], discover=False) as running:
        seen = _clear(running.app)
        group = (await running.client.post("/api/v1/widgets/groups", json={"name": "Muttern"})).json()
        assert seen["changes"] == [[Change("fake_widget_group", "insert", pk=(group["id"],))]]

        seen = _clear(running.app)
        widget = (await running.client.post("/api/v1/widgets", json={"name": "M6", "group_id": group["id"]})).json()
        assert seen["changes"] == [
            [Change("fake_widget", "insert", pk=(widget["id"],), related={"group_id": group["id"]})]
        ]
        assert [(e.type, e.payload) for e in seen["events"]] == [("widget.created", {"id": widget["id"]})]

        seen = _clear(running.app)
        assert (await running.client.post(f"/api/v1/widgets/{widget['id']}/touch")).status_code == 200
        assert seen["changes"] == [
            [
                Change("fake_widget", "update"),  # the Core UPDATE, at table level
                Change("fake_widget", "update", pk=(widget["id"],), related={"group_id": group["id"]}),  # note_change
            ]
        ]

        seen = _clear(running.app)
        assert (await running.client.delete(f"/api/v1/widgets/{widget['id']}")).status_code == 204
        assert seen["changes"] == [
            [Change("fake_widget", "delete", pk=(widget["id"],), related={"group_id": group["id"]})]
        ]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_bulk_statements_are_reported_at_table_level(make_app):
    async with make_app([widgets, spy], discover=False) as running:
        _, group_id = await _widget(running)
        seen = _clear(running.app)
        many = [{"name": f"W{i}", "group_id": group_id} for i in range(3)]
        assert (await running.client.post("/api/v1/widgets/bulk", json=many)).status_code == 201
        assert seen["changes"] == [[Change("fake_widget", "insert")]]
        assert seen["changes"][0][0].bulk

        seen = _clear(running.app)
        assert (await running.client.post("/api/v1/widgets/bump")).json() == {"bumped": 4}
        assert seen["changes"] == [[Change("fake_widget", "update")]]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_nothing_is_reported_after_a_rollback(make_app):
    async with make_app([widgets, spy], discover=False) as running:
        widget_id, _ = await _widget(running)
        seen = _clear(running.app)
        r = await running.client.post(f"/api/v1/widgets/{widget_id}/rename-and-fail")
        assert r.status_code == 409 and r.json()["detail"] == ROLLED_BACK
        assert seen["changes"] == [] and seen["events"] == []
        assert (await running.client.get(f"/api/v1/widgets/{widget_id}")).json()["name"] == "M4"

        # a failed COMMIT (unique violation) reports nothing either
        r = await running.client.post("/api/v1/widgets/groups", json={"name": "Gruppe M4"})
        assert r.status_code == 409
        assert seen["changes"] == [] and seen["events"] == []


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_published_events_wait_for_the_commit(make_app):
    async with make_app([widgets, spy], discover=False) as running:
        db, seen = running.app.state.db, _clear(running.app)

        async def work(session) -> None:
            session.add(FakeWidgetGroup(name="Events"))
            publish_event(session, DomainEvent(type="group.created", payload={"name": "Events"}))
            await session.flush()
            assert seen["events"] == [], "not before the commit"

        await db.transaction(work)
        assert [e.type for e in seen["events"]] == ["group.created"]

        async def failing(session) -> None:
            session.add(FakeWidgetGroup(name="Events"))  # duplicate: the commit fails
            publish_event(session, DomainEvent(type="group.created", payload={"name": "again"}))

        with pytest.raises(IntegrityError):
            await db.transaction(failing)
        assert [e.payload["name"] for e in seen["events"]] == ["Events"]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_concurrent_writers_lose_no_update(make_app):
    async with make_app([widgets], discover=False) as running:
        widget_id, _ = await _widget(running)
        db = running.app.state.db

        async def increment(session) -> None:
            # read-modify-write: only correct when writers are serialized (SQLite) or the row is locked
            widget = await session.scalar(select(FakeWidget).where(FakeWidget.id == widget_id).with_for_update())
            await asyncio.sleep(0)
            widget.counter += 1

        await asyncio.gather(*(db.transaction(increment) for _ in range(50)))
        assert (await running.client.get(f"/api/v1/widgets/{widget_id}")).json()["counter"] == 50
