"""Booking movements: the only code that changes stock.

Every booking - one movement, a batch of up to 1000, a storno, a reservation being fulfilled -
runs the same steps in one transaction with a constant number of round trips:

1. master data of all items in one query per table (artikel, charge, lagerort, einheit);
2. every affected balance row is locked in a fixed order (SELECT ... FOR UPDATE ORDER BY id;
   SQLite serializes writers instead) - concurrent bookings wait, they never oversell;
3. only when some are missing: those are created (INSERT ... ON CONFLICT DO NOTHING, in key
   order) and locked as well;
4. the movements are simulated in order on the locked balances: a shortfall names the item,
   its available quantity, and nothing is written;
5. balances and ledger rows are flushed together (batched UPDATE, multi-row INSERT).

The CHECK constraints (0 <= reserviert <= menge, menge > 0) stay the last line of defence.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Executable, Row, Select, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import (
    ROWS_NOTED,
    Change,
    DomainEvent,
    Problem,
    current_request,
    note_change,
    one_of,
    publish_event,
)
from modular_server.plugins.artikel.offers import ARTIKEL, QUANTUM, EinheitInfo, artikel_by_ids, convert, einheiten
from modular_server.plugins.chargen.offers import CHARGE, chargen_by_ids
from modular_server.plugins.lager.events import BESTAND_UNTER_MINDESTBESTAND
from modular_server.plugins.lager.models import Bestand, Lagerbewegung, Lagerort
from modular_server.plugins.lager.schemas import BewegungIn

#: a stored movement as its INSERT returned it (attribute access like the mapped class): the
#: answer of a booking is read from these - a transient ``Lagerbewegung`` built per row cost a
#: fifth of a 100-item batch's CPU (instrumented attribute sets) for nothing the session needs
Booked = Row[Any]

Key = tuple[int, int | None, int]  # artikel_id, charge_id, lagerort_id
ZERO = Decimal("0.000")


def principal_name() -> str:
    """Who books: the caller of the current request, ``system`` outside requests."""
    ctx = current_request()
    return ctx.principal.name if ctx is not None and ctx.principal is not None else "system"


@dataclass
class Planned:
    """A movement ready to book; quantities in the artikel's unit."""

    typ: str
    artikel_id: int
    charge_id: int | None
    von: int | None
    nach: int | None
    menge: Decimal
    referenz_typ: str | None = None
    referenz_id: str | None = None
    bemerkung: str | None = None
    storno_von_id: int | None = None
    #: for an inventur: the counted quantity (the difference is booked)
    gezaehlt: Decimal | None = None
    #: an ausgang that consumes this much of a reservation (reserviert drops with menge)
    aus_reserviert: Decimal = ZERO


@dataclass
class ItemError:
    index: int
    field: str
    reason: str
    conflict: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "reason": self.reason, **self.extra}


def raise_errors(errors: Sequence[ItemError], *, batch: bool) -> None:
    """One problem for all item errors: 409 when any is a conflict with stored state, else 422."""
    if not errors:
        return
    conflict = any(e.conflict for e in errors)
    first = errors[0]
    detail = (
        f"{first.field}: {first.reason}" if not batch else f"{len(errors)} item(s) cannot be booked; nothing was booked"
    )
    extra = {} if batch else first.extra
    raise Problem(
        409 if conflict else 422,
        detail,
        slug="booking-conflict" if conflict else "validation-error",
        errors=[e.as_dict() if batch else {"field": e.field, "reason": e.reason, **e.extra} for e in errors],
        **extra,
    )


async def plan(
    session: AsyncSession, items: Sequence[BewegungIn], today: date | None = None
) -> tuple[list[Planned | None], list[ItemError]]:
    """Validate the items against stored master data and convert units (4 queries at most).

    Returns one entry per item - None where the item cannot be booked at all - and the errors
    found; :func:`apply` goes on with the bookable items, so that a batch reports the errors of
    every stage at once."""
    artikel_ids = {i.artikel_id for i in items}
    charge_ids = {i.charge_id for i in items if i.charge_id is not None}
    ort_ids = {o for i in items for o in (i.von_lagerort_id, i.nach_lagerort_id, i.lagerort_id) if o is not None}
    codes = {i.einheit for i in items if i.einheit is not None}

    artikel = await artikel_by_ids(session, artikel_ids)
    chargen = await chargen_by_ids(session, charge_ids) if charge_ids else {}
    orte = {o.id: o for o in await session.execute(_orte_by_ids(), {"ids": list(ort_ids)})}
    units: dict[Any, EinheitInfo] = {}
    if codes:
        wanted = {a.einheit_id for a in artikel.values()}
        for einheit in await einheiten(session, codes=codes, ids=wanted):
            units[einheit.id] = einheit
            units[einheit.code] = einheit

    errors: list[ItemError] = []
    planned: list[Planned | None] = []
    for index, item in enumerate(items):
        before = len(errors)
        found = artikel.get(item.artikel_id)
        if found is None:
            errors.append(ItemError(index, "artikel_id", f"artikel {item.artikel_id} does not exist"))
            planned.append(None)
            continue
        if not found.aktiv and item.typ == "eingang":
            errors.append(ItemError(index, "artikel_id", "artikel is inactive", conflict=True))
        if found.chargenpflicht and item.charge_id is None:
            errors.append(ItemError(index, "charge_id", "this artikel needs a charge (Chargenpflicht)"))
        if not found.chargenpflicht and item.charge_id is not None:
            errors.append(ItemError(index, "charge_id", "this artikel is not managed in batches"))
        if item.charge_id is not None:
            charge = chargen.get(item.charge_id)
            if charge is None:
                errors.append(ItemError(index, "charge_id", f"charge {item.charge_id} does not exist"))
            elif charge.artikel_id != item.artikel_id:
                errors.append(
                    ItemError(index, "charge_id", f"charge {charge.id} belongs to artikel {charge.artikel_id}")
                )
            elif item.typ == "ausgang" and charge.status != "frei":
                errors.append(
                    ItemError(
                        index,
                        "charge_id",
                        f"charge is {charge.status}",
                        conflict=True,
                        extra={"charge_status": charge.status},
                    )
                )
        for name in ("von_lagerort_id", "nach_lagerort_id", "lagerort_id"):
            ort_id = getattr(item, name)
            if ort_id is None:
                continue
            ort = orte.get(ort_id)
            if ort is None:
                errors.append(ItemError(index, name, f"lagerort {ort_id} does not exist"))
            elif ort.gesperrt:
                errors.append(ItemError(index, name, f"lagerort {ort.code} is blocked", conflict=True))
        menge = item.menge.quantize(QUANTUM)  # the stored form: 3 decimal places, no exponent
        if item.einheit is not None:
            given, own = units.get(item.einheit), units.get(found.einheit_id)
            if given is None:
                errors.append(ItemError(index, "einheit", f"unknown unit {item.einheit!r}"))
            elif own is None or given.kategorie != own.kategorie:
                errors.append(ItemError(index, "einheit", f"{given.code} cannot be converted to the artikel's unit"))
            else:
                menge = convert(item.menge, given, own)
        if item.typ != "inventur" and menge <= 0:
            errors.append(ItemError(index, "menge", "is 0 after conversion to the artikel's unit"))
        if len(errors) > before:
            planned.append(None)
            continue
        planned.append(
            Planned(
                typ=item.typ,
                artikel_id=item.artikel_id,
                charge_id=item.charge_id,
                von=item.von_lagerort_id,
                # an inventur's counted location; apply() books the difference in its direction
                nach=item.nach_lagerort_id if item.typ != "inventur" else item.lagerort_id,
                menge=menge,
                referenz_typ=item.referenz_typ,
                referenz_id=item.referenz_id,
                bemerkung=item.bemerkung,
                gezaehlt=menge if item.typ == "inventur" else None,
            )
        )
    return planned, errors


def _keys(planned: Iterable[Planned | None]) -> set[Key]:
    keys: set[Key] = set()
    for p in planned:
        if p is None:
            continue
        for ort in (p.von, p.nach):
            if ort is not None:
                keys.add((p.artikel_id, p.charge_id, ort))
    return keys


async def lock_balances(session: AsyncSession, keys: set[Key]) -> dict[Key, Bestand]:
    """Lock every one of ``keys`` in id order, creating the missing ones first: one query when
    they all exist (the common case: a balance is created once and booked many times), three
    when some are new.

    Missing rows are created in key order and locked after the existing ones. Two bookings that
    create the same row queue on its INSERT like on a lock; a deadlock needs a third transaction
    to create a row between the first two's statements, and is retried as any other."""
    locked = await _locked(session, keys)
    missing = keys - locked.keys()
    if missing:
        rows = [
            {"artikel_id": a, "charge_id": c, "lagerort_id": o, "menge": ZERO, "reserviert": ZERO}
            for a, c, o in sorted(missing, key=lambda key: (key[0], key[1] or 0, key[2]))
        ]
        await session.execute(_create_missing_balances(session.bind.dialect.name), rows)
        locked |= await _locked(session, missing)
    return {key: locked[key] for key in keys}


async def _locked(session: AsyncSession, keys: set[Key]) -> dict[Key, Bestand]:
    """The existing balance rows of ``keys``' artikel and lagerorte, locked in id order."""
    values = {"artikel_ids": list({k[0] for k in keys}), "ort_ids": list({k[2] for k in keys})}
    return {(b.artikel_id, b.charge_id, b.lagerort_id): b for b in await session.scalars(_lock_balances(), values)}


# The booking's statements are built once (immutable; values travel as bound parameters):
# building them cost about as much as running them.
@functools.cache
def _orte_by_ids() -> Select[Any]:
    ort = Lagerort.__table__.c
    return select(ort.id, ort.code, ort.gesperrt).where(one_of(ort.id, "ids"))


@functools.cache
def _create_missing_balances(dialect: str) -> Executable:
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # No conflict target: it covers both partial unique indexes (with and without charge).
    # ROWS_NOTED: every row created here is changed by the same booking, whose ORM flush
    # reports it with its artikel, charge and lagerort - the cache evicts those, not the table.
    return upsert(Bestand).on_conflict_do_nothing().execution_options(**{ROWS_NOTED: True})


@functools.cache
def _lock_balances() -> Select[tuple[Bestand]]:
    return (
        select(Bestand)
        .where(
            one_of(Bestand.artikel_id, "artikel_ids"),
            one_of(Bestand.lagerort_id, "ort_ids"),
        )
        .order_by(Bestand.id)
        .with_for_update()
    )


class Balance(Protocol):
    """A locked stock balance as other plugins see it: ``reserviert`` is the one attribute they
    may change, inside the transaction that locked it."""

    id: int
    artikel_id: int
    charge_id: int | None
    lagerort_id: int
    menge: Decimal
    reserviert: Decimal


class Reservable(NamedTuple):
    """A locked balance that may be reserved from, with its batch's best-before date."""

    bestand: Balance
    mhd: date | None


async def lock_reservable(
    session: AsyncSession, artikel_id: int, today: date, *, charge_id: int | None, lagerort_id: int | None
) -> list[Reservable]:
    """Lock (id order, as bookings do) every balance of ``artikel_id`` with stock on hand in a
    free, unexpired batch at an unblocked lagerort - fully reserved ones included (one query)."""
    query = _reservable_select(by_charge=charge_id is not None, by_lagerort=lagerort_id is not None)
    values = {"artikel_id": artikel_id, "today": today, "charge_id": charge_id, "lagerort_id": lagerort_id}
    return [Reservable(bestand, mhd) for bestand, mhd in await session.execute(query, values)]


@functools.cache
def _reservable_select(*, by_charge: bool, by_lagerort: bool) -> Select[Any]:
    """Built once per shape, values bound at execution: building the statement per request
    (coercing every clause, computing its cache key) cost more than compiling it."""
    charge = CHARGE.c
    query = (
        select(Bestand, charge.mhd)
        .join(CHARGE, charge.id == Bestand.charge_id)
        .join(Lagerort, Lagerort.id == Bestand.lagerort_id)
        .where(
            Bestand.artikel_id == bindparam("artikel_id"),
            Bestand.menge > 0,
            charge.status == "frei",
            (charge.mhd.is_(None)) | (charge.mhd >= bindparam("today")),
            Lagerort.gesperrt.is_(False),
        )
        .order_by(Bestand.id)
        .with_for_update(of=Bestand)
    )
    if by_charge:
        query = query.where(Bestand.charge_id == bindparam("charge_id"))
    if by_lagerort:
        query = query.where(Bestand.lagerort_id == bindparam("lagerort_id"))
    return query


async def apply(
    session: AsyncSession,
    planned: Sequence[Planned | None],
    principal: str,
    errors: Sequence[ItemError] = (),
) -> list[Booked]:
    """Book ``planned`` on locked balances; all or nothing.

    ``errors`` are those :func:`plan` found (its None items are skipped): the stock is still
    checked for the other items, and all errors are raised together, in item order."""
    batch = len(planned) > 1
    if all(p is None for p in planned):  # nothing left to check against the stock
        raise_errors(errors, batch=batch)
    balances = await lock_balances(session, _keys(planned))
    errors = list(errors)
    movements: list[dict[str, Any]] = []
    for index, p in enumerate(planned):
        if p is None:
            continue
        typ, von, nach, menge = p.typ, p.von, p.nach, p.menge
        if p.gezaehlt is not None:  # inventur: book the difference to the counted quantity
            ort = nach if nach is not None else von
            assert ort is not None
            row = balances[(p.artikel_id, p.charge_id, ort)]
            difference = p.gezaehlt - row.menge
            if difference == 0:
                errors.append(ItemError(index, "menge", "the counted quantity equals the stock: nothing to book"))
                continue
            if p.gezaehlt < row.reserviert:
                errors.append(
                    ItemError(
                        index,
                        "menge",
                        f"counted {p.gezaehlt} is below the reserved {row.reserviert}",
                        conflict=True,
                        extra={"reserviert": str(row.reserviert)},
                    )
                )
                continue
            von, nach, menge = (None, ort, difference) if difference > 0 else (ort, None, -difference)
        if von is not None:
            source = balances[(p.artikel_id, p.charge_id, von)]
            free = source.menge - source.reserviert
            if p.aus_reserviert:
                if source.reserviert < p.aus_reserviert or source.menge < menge:
                    errors.append(
                        ItemError(
                            index,
                            "menge",
                            "the reservation is no longer covered by the stock",
                            conflict=True,
                            extra={"verfuegbar": str(source.menge)},
                        )
                    )
                    continue
                source.reserviert -= p.aus_reserviert
            elif free < menge:
                errors.append(
                    ItemError(
                        index,
                        "menge",
                        f"only {free} available at lagerort {von}",
                        conflict=True,
                        extra={"verfuegbar": str(free)},
                    )
                )
                continue
            source.menge -= menge
        if nach is not None:
            balances[(p.artikel_id, p.charge_id, nach)].menge += menge
        movements.append(
            {
                "typ": typ if p.storno_von_id is None else "storno",
                "artikel_id": p.artikel_id,
                "charge_id": p.charge_id,
                "von_lagerort_id": von,
                "nach_lagerort_id": nach,
                "menge": menge,
                "referenz_typ": p.referenz_typ,
                "referenz_id": p.referenz_id,
                "bemerkung": p.bemerkung,
                "storno_von_id": p.storno_von_id,
                "created_by": principal,
                "created_at": datetime.now(UTC),
            }
        )
    raise_errors(sorted(errors, key=lambda e: e.index), batch=batch)
    await session.flush()  # the balances: one batched UPDATE
    booked = await _insert_ledger(session, movements)
    # only movements that lower the total stock: an umbuchung leaves it as it was
    lowered: dict[int, Decimal] = defaultdict(Decimal)
    for m in booked:
        if m.von_lagerort_id is not None and m.nach_lagerort_id is None:
            lowered[m.artikel_id] += m.menge
    await _warn_below_minimum(session, lowered)
    return booked


async def _insert_ledger(session: AsyncSession, rows: list[dict[str, Any]]) -> list[Booked]:
    """One multi-row INSERT ... RETURNING for all movements, reported to the commit lifecycle
    row by row. The answer is built from the returned (stored) rows, never from the input.

    Returned rows are matched to the input by their values: asking the database for parameter
    order would make SQLite insert row by row. Rows with equal values are paired in id order,
    so a batch of identical items answers with ascending ids in item order."""
    table = Lagerbewegung.__table__
    returned = (await session.execute(_insert_movements(), rows)).all()
    stored_by_values: dict[tuple[Any, ...], list[Booked]] = defaultdict(list)
    for stored in sorted(returned, key=lambda r: r.id, reverse=True):
        stored_by_values[_match_key([getattr(stored, name) for name in _MATCHED])].append(stored)
    booked = []
    for row in rows:
        stored = stored_by_values[_match_key([row[name] for name in _MATCHED])].pop()  # the lowest id left
        booked.append(stored)
        related = {k: row[k] for k in ("artikel_id", "charge_id", "von_lagerort_id", "nach_lagerort_id")}
        note_change(session, Change(table=table.name, op="insert", pk=(stored.id,), related=related))
    return booked


@functools.cache
def _insert_movements() -> Executable:
    table = Lagerbewegung.__table__
    return insert(table).returning(*table.c).execution_options(**{ROWS_NOTED: True})


_MATCHED = (
    "typ",
    "artikel_id",
    "charge_id",
    "von_lagerort_id",
    "nach_lagerort_id",
    "menge",
    "referenz_typ",
    "referenz_id",
    "storno_von_id",
    "bemerkung",
)


def _match_key(values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(Decimal(v).normalize() if isinstance(v, Decimal) else v for v in values)


async def _warn_below_minimum(session: AsyncSession, lowered: dict[int, Decimal]) -> None:
    """Publish an event for every artikel whose total stock this booking took below its
    mindestbestand (``lowered``: by how much, per artikel). Only the crossing is an event: an
    artikel that stays below is reported once a day by the notifications' daily check."""
    if not lowered:
        return
    rows = await session.execute(_stock_of_minimum_artikel(), {"ids": list(lowered)})
    for artikel_id, nummer, mindestbestand, bestand in rows:
        after = Decimal(bestand)
        if after < mindestbestand <= after + lowered[artikel_id]:
            publish_event(
                session,
                DomainEvent(
                    type=BESTAND_UNTER_MINDESTBESTAND,
                    payload={
                        "artikel_id": artikel_id,
                        "artikel_nummer": nummer,
                        "nummer": nummer,  # the name before 0.x; kept for webhook receivers
                        "bestand": str(bestand),
                        "mindestbestand": str(mindestbestand),
                    },
                    severity="warning",
                ),
            )


@functools.cache
def _stock_of_minimum_artikel() -> Select[Any]:
    """Total stock of the artikel bound as ``ids`` that have a mindestbestand."""
    artikel = ARTIKEL.c
    return (
        select(artikel.id, artikel.nummer, artikel.mindestbestand, func.coalesce(func.sum(Bestand.menge), 0))
        .outerjoin(Bestand, Bestand.artikel_id == artikel.id)
        .where(one_of(artikel.id, "ids"), artikel.mindestbestand > 0)
        .group_by(artikel.id, artikel.nummer, artikel.mindestbestand)
    )
