"""Reservations: FEFO allocation on locked balances, fulfilment through the booking engine,
cancellation and expiry.

Lock order: fulfilment and cancellation lock their reservation row, then balance rows in id
order; expiry takes reservation rows with SKIP LOCKED (it never waits for them), then balances
in id order. A reservation request locks its candidate balances in id order before it expires
the artikel's overdue reservations; only the balances of overdue reservations outside the
candidates (blocked batch or location) are locked after that - a rare deadlock there is
retried by ``Database.transaction``. The CHECKs on ``bestand`` stay the last line of defence."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import Conflict, Database, DomainEvent, NotFound, Unprocessable, one_of, publish_event
from modular_server.plugins.artikel.offers import QUANTUM, find_artikel, to_artikel_unit
from modular_server.plugins.chargen.offers import find_charge
from modular_server.plugins.lager import offers as lager
from modular_server.plugins.reservierungen import events
from modular_server.plugins.reservierungen.models import Reservierung
from modular_server.plugins.reservierungen.schemas import ReservierungIn, ReservierungOut

ZERO = Decimal("0.000")


def _event(session: AsyncSession, typ: str, reservierungen: Sequence[Reservierung], **extra: object) -> None:
    """The payload every reservation event carries (the notification catalogue relies on it):
    ``reservierung_id`` is the first of ``ids`` (the only one except for an angelegt request
    split over several batches), ``anzahl`` how many there are."""
    payload = {
        "reservierung_id": reservierungen[0].id,
        "ids": [r.id for r in reservierungen],
        "anzahl": len(reservierungen),
        "anfrage_id": reservierungen[0].anfrage_id,
        "artikel_id": reservierungen[0].artikel_id,
        "charge_ids": sorted({r.charge_id for r in reservierungen}),
        "referenz_typ": reservierungen[0].referenz_typ,
        "referenz_id": reservierungen[0].referenz_id,
        **extra,
    }
    publish_event(session, DomainEvent(type=typ, payload=payload))


async def reserve(
    session: AsyncSession, data: ReservierungIn, principal: str, today: date | None = None
) -> tuple[list[Reservierung], Decimal]:
    """Reserve ``data.menge``: for one charge, or across an artikel's batches in FEFO order.
    Returns the reservations and the requested quantity in the artikel's unit."""
    now = datetime.now(UTC)
    today = today or now.date()
    if data.gueltig_bis is not None and data.gueltig_bis <= now:
        raise Unprocessable("gueltig_bis", "must lie in the future")
    artikel_id = data.artikel_id
    if data.charge_id is not None:
        charge = await find_charge(session, data.charge_id)
        if charge is None:
            raise Unprocessable("charge_id", f"charge {data.charge_id} does not exist")
        if charge.status != "frei":
            raise Conflict(
                f"charge {charge.id} is {charge.status}", slug="charge-not-free", charge_status=charge.status
            )
        if charge.mhd is not None and charge.mhd < today:
            raise Conflict(f"charge {charge.id} expired on {charge.mhd}", slug="charge-expired", mhd=charge.mhd)
        artikel_id = charge.artikel_id
    else:
        assert artikel_id is not None
        artikel = await find_artikel(session, artikel_id)
        if artikel is None:
            raise Unprocessable("artikel_id", f"artikel {artikel_id} does not exist")
        if not artikel.chargenpflicht:
            raise Unprocessable("artikel_id", "only artikel managed in batches (Chargenpflicht) can be reserved")
    if data.lagerort_id is not None and not await lager.lagerort_exists(session, data.lagerort_id):
        raise Unprocessable("lagerort_id", f"lagerort {data.lagerort_id} does not exist")
    menge = await to_artikel_unit(session, artikel_id, data.menge, data.einheit)
    if menge <= 0:
        raise Unprocessable("menge", "is 0 after conversion to the artikel's unit")
    # Lock every eligible balance row first (id order, as bookings do), fully reserved ones
    # included: releasing this artikel's overdue reservations below may free them.
    candidates = await lager.lock_reservable(
        session, artikel_id, today, charge_id=data.charge_id, lagerort_id=data.lagerort_id
    )
    # release-on-read: stock held by overdue reservations is free again even before the expiry
    # job runs (it updates the locked balance objects above in place)
    await expire(session, now=now, artikel_id=artikel_id)
    candidates = [row for row in candidates if row[0].menge > row[0].reserviert]
    # FEFO: earliest best-before first, batches without MHD last; ties by batch and location
    candidates.sort(key=lambda row: (row.mhd is None, row.mhd or date.max, row[0].charge_id, row[0].lagerort_id))
    verfuegbar = sum((row[0].menge - row[0].reserviert for row in candidates), ZERO)
    if verfuegbar == 0 or (verfuegbar < menge and not data.allow_partial):
        raise Conflict(
            f"only {verfuegbar} of {menge} available for reservation",
            slug="insufficient-stock",
            verfuegbar=str(verfuegbar),
            angefragt=str(menge),
        )
    anfrage_id = str(uuid.uuid4())
    offen = menge
    created: list[Reservierung] = []
    for bestand, _mhd in candidates:
        if offen == 0:
            break
        teil = min(offen, bestand.menge - bestand.reserviert)
        bestand.reserviert += teil
        offen -= teil
        created.append(
            Reservierung(
                anfrage_id=anfrage_id,
                artikel_id=artikel_id,
                charge_id=bestand.charge_id,
                lagerort_id=bestand.lagerort_id,
                menge=teil,
                erfuellt=ZERO,
                referenz_typ=data.referenz_typ,
                referenz_id=data.referenz_id,
                status="aktiv",
                # stored in UTC: the answer shows what every read shows
                gueltig_bis=None if data.gueltig_bis is None else data.gueltig_bis.astimezone(UTC),
                created_by=principal,
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
        )
    session.add_all(created)
    await session.flush()
    _event(session, events.RESERVIERUNG_ANGELEGT, created, menge=str(menge - offen))
    return created, menge


async def _locked(session: AsyncSession, reservierung_id: int, *, refuse_overdue: bool = False) -> Reservierung:
    found = await session.scalar(select(Reservierung).where(Reservierung.id == reservierung_id).with_for_update())
    if found is None:
        raise NotFound("reservierung", reservierung_id)
    if found.status != "aktiv":
        raise Conflict(
            f"reservierung {reservierung_id} is {found.status}",
            slug="reservation-not-active",
            status_current=found.status,
        )
    if refuse_overdue and is_overdue(found, datetime.now(UTC)):
        raise Conflict(
            f"reservierung {reservierung_id} expired at {found.gueltig_bis.isoformat()}",  # type: ignore[union-attr]
            slug="reservation-expired",
            status_current="abgelaufen",
        )
    return found


def is_overdue(reservierung: Reservierung | ReservierungOut, now: datetime) -> bool:
    return reservierung.status == "aktiv" and reservierung.gueltig_bis is not None and reservierung.gueltig_bis < now


async def fulfil(
    session: AsyncSession, reservierung_id: int, menge: Decimal | None, principal: str
) -> tuple[Reservierung, int]:
    """Book the outgoing movement for (part of) a reservation and consume it."""
    reservierung = await _locked(session, reservierung_id, refuse_overdue=True)
    offen = reservierung.menge - reservierung.erfuellt
    teil = offen if menge is None else menge.quantize(QUANTUM)
    if teil > offen:
        raise Unprocessable("menge", f"only {offen} of the reservation are still open", offen=str(offen))
    charge = await find_charge(session, reservierung.charge_id)
    if charge is not None and charge.status != "frei":
        raise Conflict(f"charge {charge.id} is {charge.status}", slug="charge-not-free", charge_status=charge.status)
    planned = lager.Planned(
        typ="ausgang",
        artikel_id=reservierung.artikel_id,
        charge_id=reservierung.charge_id,
        von=reservierung.lagerort_id,
        nach=None,
        menge=teil,
        referenz_typ="reservierung",
        referenz_id=str(reservierung.id),
        aus_reserviert=teil,
    )
    (bewegung_id,) = await lager.book(session, [planned], principal)
    reservierung.erfuellt += teil
    if reservierung.erfuellt == reservierung.menge:
        reservierung.status = "erledigt"
    reservierung.updated_at = datetime.now(UTC)
    await session.flush()
    _event(session, events.RESERVIERUNG_ERFUELLT, [reservierung], menge=str(teil), bewegung_id=bewegung_id)
    return reservierung, bewegung_id


async def _release(session: AsyncSession, reservierungen: Sequence[Reservierung], status: str) -> None:
    keys = {(r.artikel_id, r.charge_id, r.lagerort_id) for r in reservierungen}
    balances = await lager.lock_balances(session, keys)
    for reservierung in reservierungen:
        balances[(reservierung.artikel_id, reservierung.charge_id, reservierung.lagerort_id)].reserviert -= (
            reservierung.menge - reservierung.erfuellt
        )
        reservierung.status = status
        reservierung.updated_at = datetime.now(UTC)
    await session.flush()


async def cancel(session: AsyncSession, reservierung_id: int) -> Reservierung:
    reservierung = await _locked(session, reservierung_id)
    await _release(session, [reservierung], "storniert")
    _event(session, events.RESERVIERUNG_STORNIERT, [reservierung])
    return reservierung


async def expire(
    session: AsyncSession,
    now: datetime | None = None,
    limit: int = 1000,
    *,
    artikel_id: int | None = None,
    ids: Sequence[int] | None = None,
) -> list[Reservierung]:
    """Release active reservations past ``gueltig_bis`` - all, one artikel's, or the given
    ``ids`` - as ``abgelaufen`` (idempotent; at most ``limit`` per call). Rows another
    transaction holds are skipped: that one decides their fate."""
    query = _due_select(by_artikel=artikel_id is not None, by_ids=ids is not None, limit=limit)
    values = {"now": now or datetime.now(UTC), "artikel_id": artikel_id, "ids": list(ids or ())}
    due = list(await session.scalars(query, values))
    if due:
        await _release(session, due, "abgelaufen")
        for reservierung in due:
            _event(session, events.RESERVIERUNG_ABGELAUFEN, [reservierung])
    return due


@functools.cache
def _due_select(*, by_artikel: bool, by_ids: bool, limit: int) -> Select[tuple[Reservierung]]:
    """Built once per shape, values bound at execution (every reservation runs it: building it
    per request cost more than running it)."""
    query = select(Reservierung).where(Reservierung.status == "aktiv", Reservierung.gueltig_bis < bindparam("now"))
    if by_artikel:
        query = query.where(Reservierung.artikel_id == bindparam("artikel_id"))
    if by_ids:
        query = query.where(one_of(Reservierung.id, "ids"))
    return query.order_by(Reservierung.id).limit(limit).with_for_update(skip_locked=True)


async def release_overdue_on_read(db: Database, rows: Sequence[ReservierungOut]) -> list[ReservierungOut]:
    """Safety net for reads between two runs of the expiry job: overdue rows in ``rows`` are
    released now (their own short write transaction) and shown as ``abgelaufen``. Costs
    nothing when no row is overdue."""
    now = datetime.now(UTC)
    overdue = [r.id for r in rows if is_overdue(r, now)]
    if not overdue:
        return list(rows)

    async def work(session: AsyncSession) -> set[int]:
        return {r.id for r in await expire(session, now=now, ids=overdue)}

    released = await db.transaction(work)
    return [r.model_copy(update={"status": "abgelaufen"}) if r.id in released else r for r in rows]


def out(reservierung: Reservierung) -> ReservierungOut:
    return ReservierungOut.model_validate(reservierung)
