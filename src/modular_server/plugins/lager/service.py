"""Writes of the lager plugin: Lager and Lagerorte, bookings and stornos."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import Conflict, NotFound, Unprocessable, duplicate, still_referenced
from modular_server.plugins.lager import booking
from modular_server.plugins.lager.models import Lager, Lagerbewegung, Lagerort
from modular_server.plugins.lager.schemas import BewegungIn, LagerIn, LagerortIn, LagerortPatch, LagerPatch

#: what may point at a lager or lagerort and so keep it from being deleted (their foreign keys decide)
REFERENCED_BY = ("bestand", "bewegungen", "lagerorte")


async def _flush_unique(session: AsyncSession, what: str, field: str, value: object) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise duplicate(what, field, value) from exc


async def create_lager(session: AsyncSession, data: LagerIn) -> Lager:
    lager = Lager(**data.model_dump())
    session.add(lager)
    await _flush_unique(session, "lager", "code", data.code)
    return lager


async def update_lager(session: AsyncSession, lager_id: int, data: LagerPatch) -> Lager:
    lager = await session.get(Lager, lager_id)
    if lager is None:
        raise NotFound("lager", lager_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(lager, name, value)
    await session.flush()
    return lager


async def delete_lager(session: AsyncSession, lager_id: int) -> None:
    lager = await session.get(Lager, lager_id)
    if lager is None:
        raise NotFound("lager", lager_id)
    await session.delete(lager)
    await _flush_referenced(session, "lager", lager_id)


async def create_lagerort(session: AsyncSession, data: LagerortIn) -> Lagerort:
    if await session.get(Lager, data.lager_id) is None:
        raise Unprocessable("lager_id", f"lager {data.lager_id} does not exist")
    if data.parent_id is not None:
        parent = await session.get(Lagerort, data.parent_id)
        if parent is None or parent.lager_id != data.lager_id:
            raise Unprocessable("parent_id", "must be a lagerort of the same lager")
    ort = Lagerort(**data.model_dump())
    session.add(ort)
    await _flush_unique(session, "lagerort", "code", data.code)
    return ort


async def update_lagerort(session: AsyncSession, ort_id: int, data: LagerortPatch) -> Lagerort:
    ort = await session.get(Lagerort, ort_id)
    if ort is None:
        raise NotFound("lagerort", ort_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(ort, name, value)
    await session.flush()
    return ort


async def delete_lagerort(session: AsyncSession, ort_id: int) -> None:
    ort = await session.get(Lagerort, ort_id)
    if ort is None:
        raise NotFound("lagerort", ort_id)
    await session.delete(ort)
    await _flush_referenced(session, "lagerort", ort_id)


async def _flush_referenced(session: AsyncSession, what: str, ident: int) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise still_referenced(what, ident, REFERENCED_BY) from exc


async def book(session: AsyncSession, items: Sequence[BewegungIn], principal: str) -> list[booking.Booked]:
    planned, errors = await booking.plan(session, items)
    return await booking.apply(session, planned, principal, errors)


async def storno(session: AsyncSession, bewegung_id: int, principal: str, bemerkung: str | None) -> booking.Booked:
    """Reverse a movement once: the same quantity back, as a ``storno`` movement."""
    original = await session.get(Lagerbewegung, bewegung_id)
    if original is None:
        raise NotFound("bewegung", bewegung_id)
    if original.typ == "storno":
        raise Conflict("a storno cannot be reversed; book a new movement instead", slug="storno-of-storno")
    done = await session.scalar(select(Lagerbewegung.id).where(Lagerbewegung.storno_von_id == bewegung_id))
    if done is not None:
        raise Conflict(
            f"movement {bewegung_id} was reversed already by {done}", slug="already-reversed", storno_id=done
        )
    planned = booking.Planned(
        typ="storno",
        artikel_id=original.artikel_id,
        charge_id=original.charge_id,
        von=original.nach_lagerort_id,
        nach=original.von_lagerort_id,
        menge=original.menge,
        referenz_typ="storno",
        referenz_id=str(bewegung_id),
        bemerkung=bemerkung,
        storno_von_id=bewegung_id,
    )
    try:
        async with session.begin_nested():
            (movement,) = await booking.apply(session, [planned], principal)
    except IntegrityError as exc:  # a concurrent storno of the same movement won
        raise Conflict(f"movement {bewegung_id} was reversed already", slug="already-reversed") from exc
    return movement
