"""Unit conversion: a quantity in any unit of the artikel's unit category, to its base unit."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from modular_server.plugin import NotFound, Unprocessable
from modular_server.plugins.artikel.models import Artikel, Einheit

QUANTUM = Decimal("0.001")


class Unit(Protocol):
    """What a conversion reads of a unit: an :class:`Einheit` row or an offered ``EinheitInfo``."""

    @property
    def code(self) -> str: ...
    @property
    def kategorie(self) -> str: ...
    @property
    def faktor(self) -> Decimal: ...


def convert(menge: Decimal, von: Unit, nach: Unit) -> Decimal:
    """``menge`` in unit ``von`` expressed in unit ``nach`` (3 decimal places)."""
    if von.kategorie != nach.kategorie:
        raise Unprocessable(
            "einheit", f"{von.code} ({von.kategorie}) cannot be converted to {nach.code} ({nach.kategorie})"
        )
    return (menge * von.faktor / nach.faktor).quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


async def to_artikel_unit(session: AsyncSession, artikel_id: int, menge: Decimal, einheit_code: str | None) -> Decimal:
    """``menge`` given in ``einheit_code`` (None = the artikel's own unit) in the artikel's unit.

    One query: the artikel's unit and the given unit together.
    """
    if einheit_code is None:
        return menge.quantize(QUANTUM, rounding=ROUND_HALF_EVEN)
    given = aliased(Einheit)
    row = (
        await session.execute(
            select(Einheit, given)
            .select_from(Artikel)
            .join(Einheit, Einheit.id == Artikel.einheit_id)
            .outerjoin(given, given.code == einheit_code)
            .where(Artikel.id == artikel_id)
        )
    ).first()
    if row is None:
        raise NotFound("artikel", artikel_id)
    own, other = row
    if other is None:
        raise Unprocessable("einheit", f"unknown unit {einheit_code!r}")
    return convert(menge, other, own)
