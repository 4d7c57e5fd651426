"""Reservations: FEFO allocation on locked balances, fulfilment through the booking engine,
cancellation and expiry. Lock order everywhere: reservation rows, then balance rows by id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.core.database import publish_event
from modular_server.core.errors import Conflict, NotFound, Unprocessable
from modular_server.hooks import DomainEvent
from modular_server.plugins.artikel.units import to_artikel_unit
from modular_server.plugins.chargen.models import Charge
from modular_server.plugins.lager import booking
from modular_server.plugins.lager.models import Bestand, Lagerort
from modular_server.plugins.reservierungen import events
from modular_server.plugins.reservierungen.models import Reservierung
from modular_server.plugins.reservierungen.schemas import ReservierungIn, ReservierungOut

ZERO = Decimal("0.000")


def _event(session: AsyncSession, typ: str, reservierungen: Sequence[Reservierung], **extra: object) -> None:
    payload = {
        "ids": [r.id for r in reservierungen],
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
) -> list[Reservierung]:
    """Reserve ``data.menge``: for one charge, or across an artikel's batches in FEFO order."""
    today = today or datetime.now(UTC).date()
    artikel_id = data.artikel_id
    if data.charge_id is not None:
        charge = await session.get(Charge, data.charge_id)
        if charge is None:
            raise Unprocessable("charge_id", f"charge {data.charge_id} does not exist")
        if charge.status != "frei":
            raise Conflict(
                f"charge {charge.id} is {charge.status}", slug="charge-not-free", charge_status=charge.status
            )
        if charge.mhd is not None and charge.mhd < today:
            raise Conflict(f"charge {charge.id} expired on {charge.mhd}", slug="charge-expired", mhd=charge.mhd)
        artikel_id = charge.artikel_id
    assert artikel_id is not None
    menge = await to_artikel_unit(session, artikel_id, data.menge, data.einheit) if data.einheit else data.menge

    query = (
        select(Bestand, Charge.mhd)
        .join(Charge, Charge.id == Bestand.charge_id)
        .join(Lagerort, Lagerort.id == Bestand.lagerort_id)
        .where(
            Bestand.artikel_id == artikel_id,
            Bestand.menge > Bestand.reserviert,
            Charge.status == "frei",
            (Charge.mhd.is_(None)) | (Charge.mhd >= today),
            Lagerort.gesperrt.is_(False),
        )
        .order_by(Bestand.id)
        .with_for_update(of=Bestand)
    )
    if data.charge_id is not None:
        query = query.where(Bestand.charge_id == data.charge_id)
    if data.lagerort_id is not None:
        query = query.where(Bestand.lagerort_id == data.lagerort_id)
    candidates = list((await session.execute(query)).all())
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
                gueltig_bis=data.gueltig_bis,
                created_by=principal,
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
        )
    session.add_all(created)
    await session.flush()
    _event(session, events.RESERVIERUNG_ANGELEGT, created, menge=str(menge - offen))
    return created


async def _locked(session: AsyncSession, reservierung_id: int) -> Reservierung:
    found = await session.scalar(select(Reservierung).where(Reservierung.id == reservierung_id).with_for_update())
    if found is None:
        raise NotFound("reservierung", reservierung_id)
    if found.status != "aktiv":
        raise Conflict(
            f"reservierung {reservierung_id} is {found.status}",
            slug="reservation-not-active",
            status_current=found.status,
        )
    return found


async def fulfil(
    session: AsyncSession, reservierung_id: int, menge: Decimal | None, principal: str
) -> tuple[Reservierung, int]:
    """Book the outgoing movement for (part of) a reservation and consume it."""
    reservierung = await _locked(session, reservierung_id)
    offen = reservierung.menge - reservierung.erfuellt
    teil = offen if menge is None else menge
    if teil > offen:
        raise Unprocessable("menge", f"only {offen} of the reservation are still open", offen=str(offen))
    charge = await session.get(Charge, reservierung.charge_id)
    if charge is not None and charge.status != "frei":
        raise Conflict(f"charge {charge.id} is {charge.status}", slug="charge-not-free", charge_status=charge.status)
    planned = booking.Planned(
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
    (bewegung,) = await booking.apply(session, [planned], principal)
    reservierung.erfuellt += teil
    if reservierung.erfuellt == reservierung.menge:
        reservierung.status = "erledigt"
    reservierung.updated_at = datetime.now(UTC)
    await session.flush()
    _event(session, events.RESERVIERUNG_ERFUELLT, [reservierung], menge=str(teil), bewegung_id=bewegung.id)
    return reservierung, bewegung.id


async def _release(session: AsyncSession, reservierungen: Sequence[Reservierung], status: str) -> None:
    keys = {(r.artikel_id, r.charge_id, r.lagerort_id) for r in reservierungen}
    balances = await booking.lock_balances(session, keys)
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


async def expire(session: AsyncSession, now: datetime | None = None, limit: int = 1000) -> list[Reservierung]:
    """Release active reservations past ``gueltig_bis`` (idempotent; at most ``limit`` per call)."""
    now = now or datetime.now(UTC)
    due = list(
        await session.scalars(
            select(Reservierung)
            .where(Reservierung.status == "aktiv", Reservierung.gueltig_bis < now)
            .order_by(Reservierung.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if due:
        await _release(session, due, "abgelaufen")
        for reservierung in due:
            _event(session, events.RESERVIERUNG_ABGELAUFEN, [reservierung])
    return due


def out(reservierung: Reservierung) -> ReservierungOut:
    return ReservierungOut.model_validate(reservierung)
