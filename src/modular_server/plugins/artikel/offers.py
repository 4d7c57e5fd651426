"""What the artikel plugin offers to the plugins that require it - the only module of this
plugin another plugin may import.

Read functions return plain, frozen data (:class:`ArtikelInfo`, :class:`EinheitInfo`), never
the plugin's mapped models; unit conversion works on those.

Joins: a plugin that needs artikel columns inside its own statements (a list of batches with
their artikel, stock below an artikel's minimum) uses the tables :data:`ARTIKEL` and
:data:`EINHEIT` - SQLAlchemy Core ``Table`` objects, offered for reading only (``select``,
``join``, ``where``). The columns promised are those of :class:`ArtikelInfo` and
:class:`EinheitInfo`; other columns may change without notice. Writes go through this plugin's
HTTP API, never through these tables.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import NotFound, one_of
from modular_server.plugins.artikel.models import Artikel, Einheit
from modular_server.plugins.artikel.units import QUANTUM, Unit, convert, to_artikel_unit

__all__ = [
    "ARTIKEL",
    "ARTIKEL_KURZ",
    "EINHEIT",
    "QUANTUM",
    "ArtikelInfo",
    "EinheitInfo",
    "Unit",
    "artikel_by_ids",
    "convert",
    "einheiten",
    "find_artikel",
    "get_artikel",
    "to_artikel_unit",
]

#: the ``artikel`` table, for joins and reads (columns: those of :class:`ArtikelInfo`)
ARTIKEL: Table = Artikel.__table__  # type: ignore[assignment]
#: the ``einheit`` table, for joins and reads (columns: those of :class:`EinheitInfo`)
EINHEIT: Table = Einheit.__table__  # type: ignore[assignment]
#: the artikel columns a short reference to an artikel shows (id, number, name, ...)
ARTIKEL_KURZ = ("id", "nummer", "name", "kategorie", "einheit_id", "chargenpflicht", "aktiv")


@dataclass(frozen=True, slots=True)
class ArtikelInfo:
    id: int
    nummer: str
    name: str
    kategorie: str | None
    einheit_id: int
    chargenpflicht: bool
    mindestbestand: Decimal
    aktiv: bool

    @classmethod
    def of(cls, row: Any) -> ArtikelInfo:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


@dataclass(frozen=True, slots=True)
class EinheitInfo:
    id: int
    code: str
    name: str
    kategorie: str
    faktor: Decimal

    @classmethod
    def of(cls, row: Any) -> EinheitInfo:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


async def find_artikel(session: AsyncSession, artikel_id: int) -> ArtikelInfo | None:
    """One artikel, or None when it does not exist (one query at most)."""
    found = (await session.execute(_artikel_by_id(), {"artikel_id": artikel_id})).first()
    return None if found is None else ArtikelInfo.of(found)


async def get_artikel(session: AsyncSession, artikel_id: int) -> ArtikelInfo:
    """One artikel; raises NotFound (404) when it does not exist."""
    found = await find_artikel(session, artikel_id)
    if found is None:
        raise NotFound("artikel", artikel_id)
    return found


async def artikel_by_ids(session: AsyncSession, ids: Collection[int]) -> dict[int, ArtikelInfo]:
    """The artikel among ``ids`` that exist, by id (one query)."""
    rows = await session.execute(_artikel_by_ids(), {"ids": list(ids)})
    return {row.id: ArtikelInfo.of(row) for row in rows}


# The reads return plain data: they select exactly ArtikelInfo's columns (no mapped object, no
# identity map - that cost more than the query). Built once: they are immutable, the ids travel
# as bound parameters.
@functools.cache
def _artikel_by_id() -> Select[Any]:
    return select(*_info_columns()).where(ARTIKEL.c.id == bindparam("artikel_id"))


@functools.cache
def _artikel_by_ids() -> Select[Any]:
    return select(*_info_columns()).where(one_of(ARTIKEL.c.id, "ids"))


def _info_columns() -> list[Any]:
    return [ARTIKEL.c[field.name] for field in fields(ArtikelInfo)]


async def einheiten(session: AsyncSession, *, codes: Collection[str], ids: Collection[int]) -> list[EinheitInfo]:
    """The units with one of ``codes`` or ``ids`` (one query)."""
    rows = await session.scalars(_einheiten(), {"codes": list(codes), "ids": list(ids)})
    return [EinheitInfo.of(e) for e in rows]


@functools.cache
def _einheiten() -> Select[tuple[Einheit]]:
    return select(Einheit).where(one_of(Einheit.code, "codes") | one_of(Einheit.id, "ids"))
