"""Every SELECT of the artikel plugin: one statement per list page or detail."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, Row, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, contains_eager

from modular_server.plugin import NotFound, PageRequest, labelled, one_of, plain_rows
from modular_server.plugins.artikel.models import Artikel, Einheit

ARTIKEL_CURSOR = "artikel"
EINHEIT_CURSOR = "einheiten"


def _with_einheit() -> Select[tuple[Artikel]]:
    return select(Artikel).join(Artikel.einheit).options(contains_eager(Artikel.einheit))


#: the einheit columns a list row carries (``EinheitOut``)
LIST_EINHEIT_COLUMNS = ("id", "code", "name", "kategorie", "faktor")


def _list_rows() -> Select[Any]:
    """Plain rows for list pages (see :mod:`modular_server.core.rows`), their columns in
    ``ArtikelOut``'s order: the page is answered as these rows' dicts."""
    a = Artikel
    einheit = labelled(Einheit, "einheit", LIST_EINHEIT_COLUMNS)
    return select(a.id, a.nummer, a.name, a.beschreibung, a.kategorie, *einheit, *LIST_TAIL).join(
        Einheit, Einheit.id == Artikel.einheit_id
    )


#: the columns of a list row after its einheit (``ArtikelOut``'s order)
LIST_TAIL = (Artikel.chargenpflicht, Artikel.mindestbestand, Artikel.aktiv, Artikel.created_at, Artikel.updated_at)


def _glob_literal(text: str) -> str:
    # GLOB has no ESCAPE clause: a bracketed character matches itself
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def name_prefix(session: AsyncSession, prefix: str) -> ColumnElement[bool]:
    """Case-sensitive ``name`` prefix match that the name index can serve on either backend.

    SQLite's LIKE ignores case and cannot use a BINARY index, GLOB can; PostgreSQL's LIKE
    uses ix_artikel_name (varchar_pattern_ops).
    """
    if session.get_bind().dialect.name == "sqlite":
        return Artikel.name.op("GLOB")(_glob_literal(prefix) + "*")
    return Artikel.name.startswith(prefix, autoescape=True)


async def artikel_page(
    session: AsyncSession,
    page: PageRequest,
    *,
    ids: Sequence[int] | None = None,
    kategorie: str | None = None,
    name: str | None = None,
    nummer: str | None = None,
    aktiv: bool | None = None,
) -> tuple[list[Row[Any]], str | None]:
    """A page of artikel (keyset on id). With ``ids`` it is a bulk lookup: every match in one page."""
    filters = (("kategorie", kategorie), ("nummer", nummer), ("aktiv", aktiv))
    given = {column: value for column, value in filters if value is not None}
    after = None if ids is not None else page.after(ARTIKEL_CURSOR)
    stmt = _artikel_select(tuple(given), by_ids=ids is not None, keyset=after is not None)
    if name:
        # a prefix stays a literal: a LIKE with a bound pattern cannot use the name index in a
        # generic plan of a prepared statement
        stmt = stmt.where(name_prefix(session, name))
    if ids is not None:
        return await plain_rows(session, stmt, given | {"ids": list(ids)}), None
    values = given | {"limit": page.limit + 1} | ({} if after is None else {"after": after[0]})
    rows = await plain_rows(session, stmt, values)
    return page.page(ARTIKEL_CURSOR, rows, lambda a: (a.id,))


# Statements per shape of request (which filters, a bulk lookup or a page, first page or later)
# are built once: they are immutable and their values travel as bound parameters (building
# them cost as much as running them).
@functools.cache
def _artikel_select(filters: tuple[str, ...], *, by_ids: bool, keyset: bool) -> Select[Any]:
    stmt = _list_rows().order_by(Artikel.id)
    for column in filters:
        stmt = stmt.where(Artikel.__table__.c[column] == bindparam(column))
    if by_ids:
        return stmt.where(one_of(Artikel.id, "ids"))
    if keyset:
        stmt = stmt.where(Artikel.id > bindparam("after"))
    return stmt.limit(bindparam("limit", type_=Integer))


async def get_artikel(session: AsyncSession, artikel_id: int, *, fresh: bool = False) -> Artikel:
    """One artikel with its Einheit; ``fresh`` reloads attributes a flush has expired."""
    stmt = _with_einheit().where(Artikel.id == artikel_id)
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    found = await session.scalar(stmt)
    if found is None:
        raise NotFound("artikel", artikel_id)
    return found


async def einheit_page(
    session: AsyncSession, page: PageRequest, *, kategorie: str | None = None
) -> tuple[list[Einheit], str | None]:
    stmt = select(Einheit).order_by(Einheit.id)
    if kategorie is not None:
        stmt = stmt.where(Einheit.kategorie == kategorie)
    after = page.after(EINHEIT_CURSOR)
    if after is not None:
        stmt = stmt.where(Einheit.id > after[0])
    rows = (await session.scalars(stmt.limit(page.limit + 1))).all()
    return page.page(EINHEIT_CURSOR, rows, lambda e: (e.id,))


async def get_einheit(session: AsyncSession, einheit_id: int) -> Einheit:
    found = await session.get(Einheit, einheit_id)
    if found is None:
        raise NotFound("einheit", einheit_id)
    return found


async def taken(
    session: AsyncSession, column: InstrumentedAttribute[Any], value: object, *, besides: int | None = None
) -> bool:
    """Whether a row other than ``besides`` already holds ``value`` in the unique ``column``."""
    model = column.class_
    stmt = select(model.id).where(column == value).limit(1)
    if besides is not None:
        stmt = stmt.where(model.id != besides)
    return await session.scalar(stmt) is not None
