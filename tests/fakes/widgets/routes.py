"""The widgets fake plugin's routes: one of each kind the core must handle (reads, ORM and Core
writes, rollbacks, admin routes, an unexpected error)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.core.database import note_change, publish_event
from modular_server.core.dependencies import DatabaseDep, ReadSession
from modular_server.core.errors import Conflict, NotFound
from modular_server.hooks import Change, DomainEvent, requires_scope
from tests.fakes.widgets.models import FakeWidget, FakeWidgetGroup

router = APIRouter(prefix="/api/v1/widgets", tags=["widgets"])
ROLLED_BACK = "widget change rolled back on purpose"


class GroupIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class WidgetIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    group_id: int


def _widget(widget: FakeWidget) -> dict[str, Any]:
    return {"id": widget.id, "name": widget.name, "group_id": widget.group_id, "counter": widget.counter}


@router.get("")
async def list_widgets(session: ReadSession) -> dict[str, Any]:
    widgets = await session.scalars(select(FakeWidget).order_by(FakeWidget.id))
    return {"items": [_widget(w) for w in widgets], "next_cursor": None}


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("widget internals exploded: secret-internal-detail")


@router.get("/report")
@requires_scope("admin")
async def admin_report(session: ReadSession) -> dict[str, int]:
    return {"widgets": await session.scalar(select(func.count()).select_from(FakeWidget)) or 0}


@router.get("/{widget_id}")
async def get_widget(widget_id: int, session: ReadSession) -> dict[str, Any]:
    widget = await session.get(FakeWidget, widget_id)
    if widget is None:
        raise NotFound("widget", widget_id)
    return _widget(widget)


@router.post("/groups", status_code=201)
async def create_group(body: GroupIn, db: DatabaseDep) -> dict[str, Any]:
    async def work(session: AsyncSession) -> int:
        group = FakeWidgetGroup(name=body.name)
        session.add(group)
        await session.flush()
        return group.id

    return {"id": await db.transaction(work), "name": body.name}


@router.post("", status_code=201)
async def create_widget(body: WidgetIn, db: DatabaseDep) -> dict[str, Any]:
    async def work(session: AsyncSession) -> dict[str, Any]:
        widget = FakeWidget(name=body.name, group_id=body.group_id, counter=0)
        session.add(widget)
        await session.flush()
        publish_event(session, DomainEvent(type="widget.created", payload={"id": widget.id}))
        return _widget(widget)

    return await db.transaction(work)


@router.post("/bulk", status_code=201)
async def create_many(bodies: list[WidgetIn], db: DatabaseDep) -> dict[str, int]:
    async def work(session: AsyncSession) -> None:
        await session.execute(insert(FakeWidget), [{**b.model_dump(), "counter": 0} for b in bodies])

    await db.transaction(work)
    return {"created": len(bodies)}


@router.post("/bump")
async def bump_all(db: DatabaseDep) -> dict[str, int]:
    async def work(session: AsyncSession) -> int:
        result = await session.execute(update(FakeWidget).values(counter=FakeWidget.counter + 1))
        return result.rowcount

    return {"bumped": await db.transaction(work)}


@router.post("/{widget_id}/touch")
async def touch(widget_id: int, db: DatabaseDep) -> dict[str, int]:
    async def work(session: AsyncSession) -> int:
        group_id = await session.scalar(
            update(FakeWidget)
            .where(FakeWidget.id == widget_id)
            .values(counter=FakeWidget.counter + 1)
            .returning(FakeWidget.group_id)
        )
        if group_id is None:
            raise NotFound("widget", widget_id)
        note_change(session, Change("fake_widget", "update", pk=(widget_id,), related={"group_id": group_id}))
        return group_id

    return {"group_id": await db.transaction(work)}


@router.post("/{widget_id}/rename-and-fail")
async def rename_and_fail(widget_id: int, db: DatabaseDep) -> None:
    async def work(session: AsyncSession) -> None:
        widget = await session.get(FakeWidget, widget_id)
        if widget is None:
            raise NotFound("widget", widget_id)
        widget.name = "never-committed"
        await session.flush()
        publish_event(session, DomainEvent(type="widget.renamed", payload={"id": widget_id}))
        raise Conflict(ROLLED_BACK, slug="rolled-back-on-purpose")

    await db.transaction(work)


@router.delete("/{widget_id}", status_code=204)
@requires_scope("admin")
async def delete_widget(widget_id: int, db: DatabaseDep, request: Request) -> None:
    async def work(session: AsyncSession) -> None:
        widget = await session.get(FakeWidget, widget_id)
        if widget is None:
            raise NotFound("widget", widget_id)
        await session.delete(widget)

    await db.transaction(work)
