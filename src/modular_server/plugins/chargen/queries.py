"""Every SELECT of the chargen plugin, one statement per list page, detail or enrichment.

Stock (``bestand``, ``lagerort``, ``lagerbewegung``) belongs to the lager plugin and
reservations (``lager_chargen_reservierung``) to reservierungen. Both require this plugin, so
it must not import them: their tables are read through ``Base.metadata`` with SQLAlchemy Core,
and only while the owning plugin is serving (:func:`foreign_table`). Enrichment is always one
aggregated statement per page, never one per row.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, Row, Select, String, Table, bindparam, exists, func, literal, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import Base, NotFound, PageRequest, labelled, plain_rows
from modular_server.plugins.artikel.offers import ARTIKEL, ARTIKEL_KURZ
from modular_server.plugins.chargen.models import Charge, ChargeHerkunft
from modular_server.plugins.chargen.schemas import BestandSumme

if TYPE_CHECKING:
    from modular_server.plugin import PluginHostView

CHARGEN_CURSOR = "chargen"
ABLAUFEND_CURSOR = "chargen.ablaufend"
MAX_RESERVIERUNGEN = 500
ZERO = Decimal("0.000")


def foreign_table(host: PluginHostView, plugin: str, table: str) -> Table | None:
    """Another plugin's table, or None while that plugin is not serving."""
    if not host.is_serving(plugin):
        return None
    return Base.metadata.tables.get(table)


def summe_werte(menge: Decimal | None, reserviert: Decimal | None) -> dict[str, Decimal]:
    """Stock totals (null: none) as the fields of ``BestandSumme``, in its order."""
    menge, reserviert = Decimal(menge or ZERO), Decimal(reserviert or ZERO)
    return {"menge": menge, "reserviert": reserviert, "verfuegbar": menge - reserviert}


def summe(menge: Decimal | None, reserviert: Decimal | None) -> BestandSumme:
    return BestandSumme.model_validate(summe_werte(menge, reserviert))


# --- chargen -------------------------------------------------------------------------------


#: the artikel columns a charge row carries (``ArtikelKurz``)
LIST_ARTIKEL_COLUMNS = ARTIKEL_KURZ


def _list_rows() -> Select[Any]:
    """Plain charge rows with their artikel's short columns labelled ``artikel__<name>`` (see
    :func:`modular_server.plugin.nested`), for lists and details alike."""
    artikel = labelled(ARTIKEL.c, "artikel", LIST_ARTIKEL_COLUMNS)
    return select(*Charge.__table__.columns, *artikel).join(ARTIKEL, ARTIKEL.c.id == Charge.artikel_id)


async def chargen_page(
    session: AsyncSession,
    page: PageRequest,
    *,
    artikel_id: int | None = None,
    status: str | None = None,
    nummer: str | None = None,
    bestand: Table | None = None,
) -> tuple[list[Row[Any]], str | None]:
    """A page of batches; with lager's ``bestand`` table each row also carries its batch's
    stock totals (:data:`STOCK_COLUMNS`) - in the same statement."""
    filters = (("artikel_id", artikel_id), ("status", status), ("nummer", nummer))
    given = {name: value for name, value in filters if value is not None}
    after = page.after(CHARGEN_CURSOR)
    stmt = _chargen_select(tuple(given), after is not None, bestand)
    values = given | {"limit": page.limit + 1} | ({} if after is None else {"after": after[0]})
    rows = await plain_rows(session, stmt, values)
    return page.page(CHARGEN_CURSOR, rows, lambda c: (c.id,))


# Statements per shape of request (which filters, first page or later, with stock or not) are
# built once: they are immutable, their values travel as bound parameters, and building them
# cost about as much as running them. The shapes are few (2**5 per list), so is the memo.


@functools.cache
def _chargen_select(filters: tuple[str, ...], keyset: bool, bestand: Table | None) -> Select[Any]:
    stmt = _list_rows().order_by(Charge.id)
    for name in filters:
        stmt = stmt.where(Charge.__table__.c[name] == bindparam(name))
    if keyset:
        stmt = stmt.where(Charge.id > bindparam("after"))
    return _with_totals(stmt.limit(bindparam("limit", type_=Integer)), bestand, "id")


@functools.cache
def _ablaufend_select(
    von: bool, status: bool, mit_bestand_in: Table | None, keyset: bool, bestand: Table | None
) -> Select[Any]:
    stmt = _expiring(
        _list_rows(),
        bindparam("von") if von else None,
        bindparam("bis"),
        bindparam("status") if status else None,
        mit_bestand_in,
    )
    if keyset:
        after = (bindparam("after_mhd", type_=Charge.mhd.type), bindparam("after_id", type_=Integer))
        stmt = stmt.where(tuple_(Charge.mhd, Charge.id) > tuple_(*after))
    return _with_totals(stmt.limit(bindparam("limit", type_=Integer)), bestand, "mhd", "id")


def _with_totals(page: Select[Any], bestand: Table | None, *order: str) -> Select[Any]:
    """``page`` (list rows, ordered and limited) with each batch's stock totals, one statement.

    The totals are grouped over the page's batches only (a subquery on the page, not an
    expanded list of ids, so the statement's text is the same for every page and stays in
    the compiled-statement cache); the page is ordered again by ``order`` after the join."""
    if bestand is None:
        return page
    rows = page.cte("seite")
    sums = (
        func.sum(bestand.c[column]).label(label)
        for column, label in zip(("menge", "reserviert"), STOCK_COLUMNS, strict=True)
    )
    totals = (
        select(bestand.c.charge_id, *sums)
        .where(bestand.c.charge_id.in_(select(rows.c.id)))
        .group_by(bestand.c.charge_id)
        .subquery("summen")
    )
    return (
        select(rows, *(totals.c[label] for label in STOCK_COLUMNS))
        .outerjoin(totals, totals.c.charge_id == rows.c.id)
        .order_by(*(rows.c[name] for name in order))
    )


def _expiring(stmt: Select[Any], von: Any, bis: Any, status: Any, bestand: Table | None) -> Select[Any]:
    stmt = stmt.where(Charge.mhd.is_not(None), Charge.mhd <= bis)
    if von is not None:
        stmt = stmt.where(Charge.mhd >= von)
    if status is not None:
        stmt = stmt.where(Charge.status == status)
    if bestand is not None:
        stmt = stmt.where(exists().where(bestand.c.charge_id == Charge.id, bestand.c.menge > 0))
    return stmt.order_by(Charge.mhd, Charge.id)


async def ablaufend_page(
    session: AsyncSession,
    page: PageRequest,
    *,
    von: date | None,
    bis: date,
    status: str | None = None,
    mit_bestand_in: Table | None = None,
    bestand: Table | None = None,
) -> tuple[list[Row[Any]], str | None]:
    """Batches with an MHD in ``[von, bis]`` (``von`` None: expired ones too), soonest first (keyset on mhd, id).

    ``mit_bestand_in``: only batches with stock on hand in that ``bestand`` table; with
    ``bestand`` each row carries its stock totals (as :func:`chargen_page`).
    """
    after = page.after(ABLAUFEND_CURSOR)
    stmt = _ablaufend_select(von is not None, status is not None, mit_bestand_in, after is not None, bestand)
    values: dict[str, Any] = {"von": von, "bis": bis, "status": status, "limit": page.limit + 1}
    if after is not None:
        values |= {"after_mhd": after[0], "after_id": after[1]}
    rows = await plain_rows(session, stmt, {name: value for name, value in values.items() if value is not None})
    return page.page(ABLAUFEND_CURSOR, rows, lambda c: (c.mhd, c.id))


async def expiring_chunk(
    session: AsyncSession, *, von: date, bis: date, bestand: Table | None, after: tuple[date, int] | None, size: int
) -> list[Row[Any]]:
    """A chunk of free, stocked (when lager serves) batches expiring in ``[von, bis]``, for the expiry check."""
    stmt = _expiring(_list_rows(), von, bis, "frei", bestand)
    if after is not None:
        stmt = stmt.where(tuple_(Charge.mhd, Charge.id) > tuple_(*after))
    return list((await session.execute(stmt.limit(size))).all())


#: the stock totals a charge row carries when asked for (``get_charge(..., bestand=...)``)
STOCK_COLUMNS = ("bestand_menge", "bestand_reserviert")


async def get_charge(session: AsyncSession, charge_id: int, bestand: Table | None = None) -> Row[Any]:
    """One batch with its artikel as a plain row (current values, also right after a flush).

    With lager's ``bestand`` table, the row also carries the batch's stock totals
    (:data:`STOCK_COLUMNS`, null without stock) - in the same statement."""
    return _found((await session.execute(_charge_select(bestand), {"charge_id": charge_id})).first(), charge_id)


async def read_charge(session: AsyncSession, charge_id: int, bestand: Table | None = None) -> Row[Any]:
    """:func:`get_charge` for requests that only read (no pending changes to flush first)."""
    rows = await plain_rows(session, _charge_select(bestand), {"charge_id": charge_id})
    return _found(rows[0] if rows else None, charge_id)


def _found(row: Row[Any] | None, charge_id: int) -> Row[Any]:
    if row is None:
        raise NotFound("charge", charge_id)
    return row


@functools.cache
def _charge_select(bestand: Table | None) -> Select[Any]:
    stmt = _list_rows().where(Charge.id == bindparam("charge_id"))
    if bestand is not None:
        stmt = stmt.add_columns(
            *(
                select(func.sum(bestand.c[column]))
                .where(bestand.c.charge_id == Charge.id)
                .scalar_subquery()
                .label(label)
                for column, label in zip(("menge", "reserviert"), STOCK_COLUMNS, strict=True)
            )
        )
    return stmt


async def load_charge(session: AsyncSession, charge_id: int) -> Charge:
    """One batch as a mapped object, for changing or deleting it."""
    found = await session.get(Charge, charge_id)
    if found is None:
        raise NotFound("charge", charge_id)
    return found


async def charge_status(session: AsyncSession, charge_id: int) -> str:
    found = await session.scalar(select(Charge.status).where(Charge.id == charge_id))
    if found is None:
        raise NotFound("charge", charge_id)
    return found


async def nummer_taken(session: AsyncSession, artikel_id: int, nummer: str, *, besides: int | None = None) -> bool:
    stmt = select(Charge.id).where(Charge.artikel_id == artikel_id, Charge.nummer == nummer).limit(1)
    if besides is not None:
        stmt = stmt.where(Charge.id != besides)
    return await session.scalar(stmt) is not None


# --- enrichment from the lager and reservierungen plugins ------------------------------------


#: the stock columns of a detail row, labelled ``ort__<name>`` (null: no stock at a lagerort)
ORT_COLUMNS = ("lagerort_id", "lagerort_code", "lager_id", "lagerort_gesperrt", "menge", "reserviert")


async def charge_mit_orten(session: AsyncSession, bestand: Table, lagerort: Table, charge_id: int) -> list[Row[Any]]:
    """One batch (with its artikel) once per lagerort holding stock of it, in lagerort order;
    one row with null ``ort__`` columns when there is none. One statement: the detail used to
    read the batch and its stock in two round trips."""
    rows = await plain_rows(session, _charge_mit_orten_select(bestand, lagerort), {"charge_id": charge_id})
    return [_found(rows[0] if rows else None, charge_id), *rows[1:]]


@functools.cache
def _charge_mit_orten_select(bestand: Table, lagerort: Table) -> Select[Any]:
    columns = {
        "lagerort_id": bestand.c.lagerort_id,
        "lagerort_code": lagerort.c.code,
        "lager_id": lagerort.c.lager_id,
        "lagerort_gesperrt": lagerort.c.gesperrt,
        "menge": bestand.c.menge,
        "reserviert": bestand.c.reserviert,
    }
    return (
        _list_rows()
        .add_columns(*(columns[name].label(f"ort__{name}") for name in ORT_COLUMNS))
        .outerjoin(bestand, (bestand.c.charge_id == Charge.id) & (bestand.c.menge > 0))
        .outerjoin(lagerort, lagerort.c.id == bestand.c.lagerort_id)
        .where(Charge.id == bindparam("charge_id"))
        .order_by(bestand.c.lagerort_id)
    )


async def offene_reservierungen(session: AsyncSession, reservierung: Table, charge_id: int) -> list[Row[Any]]:
    """The batch's active reservations (rows of the reservierungen plugin's table, which no
    pending change of a chargen session touches: read as plain rows)."""
    return await plain_rows(session, _offene_reservierungen_select(reservierung), {"charge_id": charge_id})


@functools.cache
def _offene_reservierungen_select(reservierung: Table) -> Select[Any]:
    return (
        select(
            reservierung.c.id,
            reservierung.c.lagerort_id,
            reservierung.c.menge,
            reservierung.c.erfuellt,
            reservierung.c.referenz_typ,
            reservierung.c.referenz_id,
            reservierung.c.gueltig_bis,
            reservierung.c.created_at,
        )
        .where(reservierung.c.charge_id == bindparam("charge_id"), reservierung.c.status == "aktiv")
        .order_by(reservierung.c.id)
        .limit(MAX_RESERVIERUNGEN)
    )


async def ausgaenge(session: AsyncSession, bewegung: Table, charge_id: int) -> list[Row[Any]]:
    """Outgoing movements that carried the batch, each marked when a storno reversed it."""
    storno = bewegung.alias("storno")
    rows = await session.execute(
        select(
            bewegung.c.id,
            bewegung.c.menge,
            bewegung.c.von_lagerort_id,
            bewegung.c.referenz_typ,
            bewegung.c.referenz_id,
            bewegung.c.created_at,
            bewegung.c.created_by,
            storno.c.id.is_not(None).label("storniert"),
        )
        .outerjoin(storno, storno.c.storno_von_id == bewegung.c.id)
        .where(bewegung.c.charge_id == charge_id, bewegung.c.typ == "ausgang")
        .order_by(bewegung.c.id)
    )
    return list(rows)


async def positionen(session: AsyncSession, bestand: Table, lagerort: Table, artikel_id: int) -> list[Row[Any]]:
    """The artikel (its short columns labelled ``artikel__<name>``) once per batch and lagerort
    holding stock of it, in FEFO order (earliest MHD first, none last); one row with null stock
    columns when there is none. One statement: availability used to read the artikel and its
    stock in two round trips. Raises NotFound for an unknown artikel."""
    rows = await plain_rows(session, _positionen_select(bestand, lagerort), {"artikel_id": artikel_id})
    if not rows:
        raise NotFound("artikel", artikel_id)
    return rows


@functools.cache
def _positionen_select(bestand: Table, lagerort: Table) -> Select[Any]:
    return (
        select(
            *labelled(ARTIKEL.c, "artikel", LIST_ARTIKEL_COLUMNS),
            bestand.c.charge_id,
            Charge.nummer.label("charge_nummer"),
            Charge.mhd,
            Charge.status,
            bestand.c.lagerort_id,
            lagerort.c.code.label("lagerort_code"),
            lagerort.c.lager_id,
            lagerort.c.gesperrt.label("lagerort_gesperrt"),
            bestand.c.menge,
            bestand.c.reserviert,
        )
        .select_from(ARTIKEL)
        .outerjoin(bestand, (bestand.c.artikel_id == ARTIKEL.c.id) & (bestand.c.menge > 0))
        .outerjoin(lagerort, lagerort.c.id == bestand.c.lagerort_id)
        .outerjoin(Charge, Charge.id == bestand.c.charge_id)
        .where(ARTIKEL.c.id == bindparam("artikel_id"))
        .order_by(Charge.mhd.asc().nulls_last(), bestand.c.charge_id, bestand.c.lagerort_id)
    )


# --- genealogy -------------------------------------------------------------------------------


async def genealogy_edges(
    session: AsyncSession, charge_id: int, tiefe: int, richtungen: Sequence[str]
) -> list[Row[Any]]:
    """Edges reached from ``charge_id`` within ``tiefe`` levels, with the batch each one reaches.

    One statement: a recursive CTE per direction (UNION, so a repeated edge at the same depth
    is read once; links cannot form cycles, and the depth bound caps the work anyway).
    """
    h = ChargeHerkunft.__table__
    selects = []
    for richtung in richtungen:
        # backward walks child -> parent, forward parent -> child
        start, reached = (h.c.child_id, "parent_id") if richtung == "rueckwaerts" else (h.c.parent_id, "child_id")
        columns = (h.c.parent_id, h.c.child_id, h.c.art, h.c.menge)
        cte = select(*columns, literal(1, Integer).label("tiefe")).where(start == charge_id)
        cte = cte.cte(f"herkunft_{richtung}", recursive=True)
        cte = cte.union(select(*columns, cte.c.tiefe + 1).join(cte, start == cte.c[reached]).where(cte.c.tiefe < tiefe))
        selects.append(
            select(
                literal(richtung, String).label("richtung"),
                cte.c.parent_id,
                cte.c.child_id,
                cte.c.art,
                cte.c.menge,
                cte.c.tiefe,
                Charge.nummer,
                Charge.artikel_id,
                Charge.status,
                Charge.mhd,
                ARTIKEL.c.nummer.label("artikel_nummer"),
            )
            .join(Charge, Charge.id == cte.c[reached])
            .join(ARTIKEL, ARTIKEL.c.id == Charge.artikel_id)
        )
    if not selects:
        return []
    stmt = selects[0] if len(selects) == 1 else union_all(*selects)
    return list(await session.execute(stmt))


async def herkunft_link(session: AsyncSession, parent_id: int, child_id: int) -> ChargeHerkunft | None:
    return await session.scalar(
        select(ChargeHerkunft).where(ChargeHerkunft.parent_id == parent_id, ChargeHerkunft.child_id == child_id)
    )


async def is_ancestor(session: AsyncSession, candidate: int, of: int) -> bool:
    """Whether ``candidate`` is ``of`` or one of its ancestors (unbounded; UNION ends on any graph)."""
    h = ChargeHerkunft.__table__
    ancestors = select(literal(of, Integer).label("id")).cte("vorfahren", recursive=True)
    ancestors = ancestors.union(select(h.c.parent_id).join(ancestors, h.c.child_id == ancestors.c.id))
    return await session.scalar(select(ancestors.c.id).where(ancestors.c.id == candidate).limit(1)) is not None
