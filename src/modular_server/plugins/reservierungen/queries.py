"""Every SELECT of the reservierungen plugin."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import NotFound, PageRequest
from modular_server.plugins.reservierungen.models import Reservierung


async def reservierungen_page(
    session: AsyncSession,
    page: PageRequest,
    *,
    referenz_typ: str | None,
    referenz_id: str | None,
    status: str | None,
    artikel_id: int | None,
    charge_id: int | None,
    anfrage_id: str | None,
) -> tuple[list[Reservierung], str | None]:
    query = select(Reservierung)
    for column, value in (
        (Reservierung.referenz_typ, referenz_typ),
        (Reservierung.referenz_id, referenz_id),
        (Reservierung.status, status),
        (Reservierung.artikel_id, artikel_id),
        (Reservierung.charge_id, charge_id),
        (Reservierung.anfrage_id, anfrage_id),
    ):
        if value is not None:
            query = query.where(column == value)
    after = page.after("reservierung")
    if after is not None:
        query = query.where(Reservierung.id > after[0])
    rows = list(await session.scalars(query.order_by(Reservierung.id).limit(page.limit + 1)))
    return page.page("reservierung", rows, lambda r: [r.id])


async def get_reservierung(session: AsyncSession, reservierung_id: int) -> Reservierung:
    found = await session.get(Reservierung, reservierung_id)
    if found is None:
        raise NotFound("reservierung", reservierung_id)
    return found
