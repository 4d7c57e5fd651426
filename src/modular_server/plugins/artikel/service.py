"""Writes of the artikel plugin. Each function runs inside ``Database.transaction`` and may run again."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import Conflict, Unprocessable, duplicate, still_referenced
from modular_server.plugins.artikel import queries
from modular_server.plugins.artikel.models import Artikel, Einheit
from modular_server.plugins.artikel.schemas import ArtikelIn, ArtikelPatch, EinheitIn, EinheitPatch

FAKTOR_QUANTUM = Decimal("0.000001")
#: what may point at an artikel and so keep it from being deleted (their foreign keys decide)
ARTIKEL_REFERENCED_BY = ("chargen", "bestand", "bewegungen", "reservierungen")


async def create_einheit(session: AsyncSession, data: EinheitIn) -> Einheit:
    if await queries.taken(session, Einheit.code, data.code):
        raise duplicate("einheit", "code", data.code)
    # the stored form (Numeric(18, 6)): the answer shows what every read shows, not "1E+3"
    einheit = Einheit(**data.model_dump(exclude={"faktor"}), faktor=data.faktor.quantize(FAKTOR_QUANTUM))
    session.add(einheit)
    await session.flush()
    return einheit


async def update_einheit(session: AsyncSession, einheit_id: int, data: EinheitPatch) -> Einheit:
    einheit = await queries.get_einheit(session, einheit_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(einheit, field, value)
    await session.flush()
    return einheit


async def delete_einheit(session: AsyncSession, einheit_id: int) -> None:
    einheit = await queries.get_einheit(session, einheit_id)
    await _delete_unreferenced(session, einheit, still_referenced("einheit", einheit_id, ("artikel",)))


async def create_artikel(session: AsyncSession, data: ArtikelIn) -> Artikel:
    if await queries.taken(session, Artikel.nummer, data.nummer):
        raise duplicate("artikel", "nummer", data.nummer)
    if await session.get(Einheit, data.einheit_id) is None:
        raise Unprocessable("body.einheit_id", f"einheit {data.einheit_id} does not exist")
    artikel = Artikel(**data.model_dump())
    session.add(artikel)
    await session.flush()
    return await queries.get_artikel(session, artikel.id, fresh=True)


async def update_artikel(session: AsyncSession, artikel_id: int, data: ArtikelPatch) -> Artikel:
    artikel = await queries.get_artikel(session, artikel_id)
    changes = data.model_dump(exclude_unset=True)
    nummer = changes.get("nummer")
    if nummer is not None and await queries.taken(session, Artikel.nummer, nummer, besides=artikel_id):
        raise duplicate("artikel", "nummer", nummer)
    for field, value in changes.items():
        setattr(artikel, field, value)
    await session.flush()
    return await queries.get_artikel(session, artikel_id, fresh=True)


async def delete_artikel(session: AsyncSession, artikel_id: int) -> None:
    artikel = await queries.get_artikel(session, artikel_id)
    refused = still_referenced(
        "artikel", artikel_id, ARTIKEL_REFERENCED_BY, instead='deactivate it instead: PATCH {"aktiv": false}'
    )
    await _delete_unreferenced(session, artikel, refused)


async def _delete_unreferenced(session: AsyncSession, row: Artikel | Einheit, refused: Conflict) -> None:
    # The foreign keys of other plugins' tables decide: this plugin cannot (and must not) know
    # every table that points at it. A violation rolls the whole transaction back.
    await session.delete(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise refused from exc
