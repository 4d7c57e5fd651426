"""Every SELECT of the lager plugin: one statement per list or detail, keyset pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import NotFound, PageRequest
from modular_server.plugins.lager.models import Bestand, Lager, Lagerbewegung, Lagerort


async def _page(
    session: AsyncSession, page: PageRequest, scope: str, query: Select[Any], id_column: Any, descending: bool = False
) -> tuple[list[Any], str | None]:
    after = page.after(scope)
    if after is not None:
        query = query.where(id_column < after[0] if descending else id_column > after[0])
    query = query.order_by(id_column.desc() if descending else id_column).limit(page.limit + 1)
    rows = list((await session.execute(query)).all())
    return page.page(scope, rows, lambda row: [row[0].id])


async def lager_page(session: AsyncSession, page: PageRequest, aktiv: bool | None) -> tuple[list[Lager], str | None]:
    query = select(Lager)
    if aktiv is not None:
        query = query.where(Lager.aktiv == aktiv)
    rows, cursor = await _page(session, page, "lager", query, Lager.id)
    return [r[0] for r in rows], cursor


async def get_lager(session: AsyncSession, lager_id: int) -> Lager:
    found = await session.get(Lager, lager_id)
    if found is None:
        raise NotFound("lager", lager_id)
    return found


async def lagerort_page(
    session: AsyncSession, page: PageRequest, lager_id: int | None, gesperrt: bool | None
) -> tuple[list[Lagerort], str | None]:
    query = select(Lagerort)
    if lager_id is not None:
        query = query.where(Lagerort.lager_id == lager_id)
    if gesperrt is not None:
        query = query.where(Lagerort.gesperrt == gesperrt)
    rows, cursor = await _page(session, page, "lagerort", query, Lagerort.id)
    return [r[0] for r in rows], cursor


async def get_lagerort(session: AsyncSession, ort_id: int) -> Lagerort:
    found = await session.get(Lagerort, ort_id)
    if found is None:
        raise NotFound("lagerort", ort_id)
    return found


async def bestand_page(
    session: AsyncSession,
    page: PageRequest,
    *,
    artikel_id: int | None,
    charge_id: int | None,
    lager_id: int | None,
    lagerort_id: int | None,
    leer: bool,
) -> tuple[list[Any], str | None]:
    """Balance rows with their lager (one joined statement); empty rows only when asked."""
    query = select(Bestand, Lagerort.lager_id).join(Lagerort, Lagerort.id == Bestand.lagerort_id)
    for column, value in (
        (Bestand.artikel_id, artikel_id),
        (Bestand.charge_id, charge_id),
        (Lagerort.lager_id, lager_id),
        (Bestand.lagerort_id, lagerort_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if not leer:
        query = query.where(Bestand.menge > 0)
    after = page.after("bestand")
    if after is not None:
        query = query.where(Bestand.id > after[0])
    rows = list((await session.execute(query.order_by(Bestand.id).limit(page.limit + 1))).all())
    return page.page("bestand", rows, lambda row: [row[0].id])


async def bewegungen_page(
    session: AsyncSession,
    page: PageRequest,
    *,
    artikel_id: int | None,
    charge_id: int | None,
    lagerort_id: int | None,
    typ: str | None,
    referenz_typ: str | None,
    referenz_id: str | None,
    seit: datetime | None,
    bis: datetime | None,
) -> tuple[list[Lagerbewegung], str | None]:
    """The ledger, newest first (keyset on id)."""
    query = select(Lagerbewegung)
    for column, value in (
        (Lagerbewegung.artikel_id, artikel_id),
        (Lagerbewegung.charge_id, charge_id),
        (Lagerbewegung.typ, typ),
        (Lagerbewegung.referenz_typ, referenz_typ),
        (Lagerbewegung.referenz_id, referenz_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if lagerort_id is not None:
        query = query.where(
            (Lagerbewegung.von_lagerort_id == lagerort_id) | (Lagerbewegung.nach_lagerort_id == lagerort_id)
        )
    if seit is not None:
        query = query.where(Lagerbewegung.created_at >= seit)
    if bis is not None:
        query = query.where(Lagerbewegung.created_at < bis)
    rows, cursor = await _page(session, page, "bewegung", query, Lagerbewegung.id, descending=True)
    return [r[0] for r in rows], cursor


async def get_bewegung(session: AsyncSession, bewegung_id: int) -> Lagerbewegung:
    found = await session.get(Lagerbewegung, bewegung_id)
    if found is None:
        raise NotFound("bewegung", bewegung_id)
    return found
