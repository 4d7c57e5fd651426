"""Routes of the fake kiosk: cached reads of every shape, and writes of every kind (ORM
insert/update, Core update reported per row, Core bulk update reported per table)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.core.database import ROWS_NOTED, note_change
from modular_server.core.dependencies import ReadSession
from modular_server.core.errors import NotFound
from modular_server.hooks import Change, cached
from tests.cache.kiosk.models import Posten, Sorte, Vorrat

router = APIRouter(prefix="/api/v1/kiosk")


async def _ran(request: Request, name: str) -> None:
    """Count the handler run; with a gate set, stop after reading until the test opens it."""
    state = request.app.state.host.data["kiosk"]
    state["calls"][name] += 1
    if state["delay"]:
        await asyncio.sleep(state["delay"])
    gate = state.get("gate")
    if gate is not None:
        state["reached"].set()
        await gate.wait()


def _posten(row: Posten) -> dict[str, Any]:
    return {"id": row.id, "nummer": row.nummer, "sorte_id": row.sorte_id, "status": row.status}


@router.get("/posten")
@cached(ttl=60, tags=["posten"], tables=["kiosk_posten"])
async def list_posten(request: Request, session: ReadSession, status: str | None = None) -> dict[str, Any]:
    query = select(Posten).order_by(Posten.id)
    if status is not None:
        query = query.where(Posten.status == status)
    items = [_posten(row) for row in await session.scalars(query)]
    await _ran(request, "list_posten")
    return {"items": items, "next_cursor": None}


@router.get("/posten/{posten_id}")
@cached(ttl=60, tags=["posten:{posten_id}"], max_age=5)
async def get_posten(request: Request, session: ReadSession, posten_id: int) -> dict[str, Any]:
    row = await session.get(Posten, posten_id)
    if row is None:
        await _ran(request, "get_posten")
        raise NotFound("posten", posten_id)
    vorrat = (await session.execute(select(Vorrat.id, Vorrat.menge).where(Vorrat.posten_id == posten_id))).all()
    await _ran(request, "get_posten")
    return {**_posten(row), "vorrat": [{"id": v.id, "menge": str(v.menge)} for v in sorted(vorrat)]}


@router.get("/sorten/{sorte_id}")
@cached(ttl=60, tags=["sorte:{sorte_id}"])
async def get_sorte(request: Request, session: ReadSession, sorte_id: int) -> dict[str, Any]:
    row = await session.get(Sorte, sorte_id)
    if row is None:
        raise NotFound("sorte", sorte_id)
    posten = await session.scalars(select(Posten).where(Posten.sorte_id == sorte_id).order_by(Posten.id))
    await _ran(request, "get_sorte")
    return {"id": row.id, "name": row.name, "posten": [_posten(p) for p in posten]}


@router.get("/vorrat/summe")
@cached(ttl=60, tags=["vorrat"], tables=["kiosk_vorrat"])
async def vorrat_summe(request: Request, session: ReadSession) -> dict[str, str]:
    total = await session.scalar(select(func.coalesce(func.sum(Vorrat.menge), 0)))
    await _ran(request, "vorrat_summe")
    return {"summe": str(Decimal(total))}


@router.get("/uncached")
async def uncached(request: Request) -> dict[str, int]:
    await _ran(request, "uncached")
    return {"calls": request.app.state.host.data["kiosk"]["calls"]["uncached"]}


class SorteIn(BaseModel):
    name: str


class PostenIn(BaseModel):
    nummer: str
    sorte_id: int


class PostenPatch(BaseModel):
    status: str


class MengeIn(BaseModel):
    menge: Decimal


@router.post("/sorten", status_code=201)
async def create_sorte(request: Request, body: SorteIn) -> dict[str, Any]:
    async def work(session: AsyncSession) -> Sorte:
        row = Sorte(name=body.name)
        session.add(row)
        await session.flush()
        return row

    row = await request.app.state.db.transaction(work)
    return {"id": row.id, "name": row.name}


@router.post("/posten", status_code=201)
async def create_posten(request: Request, body: PostenIn) -> dict[str, Any]:
    async def work(session: AsyncSession) -> Posten:
        row = Posten(nummer=body.nummer, sorte_id=body.sorte_id, status="frei")
        session.add(row)
        await session.flush()
        return row

    return _posten(await request.app.state.db.transaction(work))


@router.patch("/posten/{posten_id}")
async def patch_posten(request: Request, posten_id: int, body: PostenPatch) -> dict[str, Any]:
    async def work(session: AsyncSession) -> Posten:
        row = await session.get(Posten, posten_id)
        if row is None:
            raise NotFound("posten", posten_id)
        row.status = body.status
        return row

    return _posten(await request.app.state.db.transaction(work))


@router.post("/posten/{posten_id}/vorrat", status_code=201)
async def add_vorrat(request: Request, posten_id: int, body: MengeIn) -> dict[str, Any]:
    async def work(session: AsyncSession) -> Vorrat:
        row = Vorrat(posten_id=posten_id, menge=body.menge)
        session.add(row)
        await session.flush()
        return row

    row = await request.app.state.db.transaction(work)
    return {"id": row.id, "posten_id": row.posten_id, "menge": str(row.menge)}


@router.post("/vorrat/{vorrat_id}/buchen")
async def book(request: Request, vorrat_id: int, body: MengeIn) -> dict[str, Any]:
    """A guarded Core UPDATE reported row by row with its foreign key (ROWS_NOTED: no
    table-level report besides), as lager books."""

    async def work(session: AsyncSession) -> int:
        result = await session.execute(
            update(Vorrat)
            .where(Vorrat.id == vorrat_id)
            .values(menge=Vorrat.menge + body.menge)
            .returning(Vorrat.posten_id)
            .execution_options(synchronize_session=False, **{ROWS_NOTED: True})
        )
        posten_id = result.scalar()
        if posten_id is None:
            raise NotFound("vorrat", vorrat_id)
        note_change(
            session, Change(table="kiosk_vorrat", op="update", pk=(vorrat_id,), related={"posten_id": posten_id})
        )
        return posten_id

    return {"posten_id": await request.app.state.db.transaction(work)}


@router.post("/vorrat/nullen")
async def zero_all(request: Request) -> dict[str, bool]:
    """A bulk Core UPDATE: the core reports it at table level only."""

    async def work(session: AsyncSession) -> None:
        await session.execute(update(Vorrat).values(menge=0).execution_options(synchronize_session=False))

    await request.app.state.db.transaction(work)
    return {"ok": True}


async def seed(app: Any) -> None:
    """Two Sorten, three Posten (1, 2 of Sorte 1; 3 of Sorte 2), Vorrat on Posten 1 and 3."""

    async def work(session: AsyncSession) -> None:
        session.add_all([Sorte(name="Apfel"), Sorte(name="Birne")])
        await session.flush()
        session.add_all(
            [
                Posten(nummer="P-1", sorte_id=1, status="frei"),
                Posten(nummer="P-2", sorte_id=1, status="frei"),
                Posten(nummer="P-3", sorte_id=2, status="frei"),
            ]
        )
        await session.flush()
        session.add_all([Vorrat(posten_id=1, menge=Decimal("5")), Vorrat(posten_id=3, menge=Decimal("7"))])

    await app.state.db.transaction(work)
