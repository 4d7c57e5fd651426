"""The daily check: expiring batches and articles below their Mindestbestand.

It reads the chargen / artikel / lager tables through ``Base.metadata`` - only while the
owning plugin serves, so notifications requires none of them - and stores what it finds
through the same idempotent path as published events: one notification per (type, object,
day), however often the check runs and however many workers run it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, and_, exists, func, select

from modular_server.plugin import Base, DomainEvent, host_of

if TYPE_CHECKING:
    from fastapi import FastAPI

    from modular_server.plugin import PluginHostView

log = logging.getLogger("modular_server.notifications")

CHUNK = 500
#: event types, as raised by the chargen and lager plugins
CHARGE_LAEUFT_AB = "charge.laeuft_ab"
UNTER_MINDESTBESTAND = "bestand.unter_mindestbestand"


def today() -> date:
    return datetime.now(UTC).date()


def seconds_until(at: time, now: datetime | None = None) -> float:
    """Seconds from ``now`` to the next ``at`` (UTC); a time just passed means tomorrow."""
    now = now or datetime.now(UTC)
    target = datetime.combine(now.date(), at, UTC)
    if target <= now:
        target += timedelta(days=1)
    return (target - now).total_seconds()


def _table(host: PluginHostView, plugin: str, name: str) -> Table | None:
    return Base.metadata.tables.get(name) if host.is_serving(plugin) else None


def _event(event_type: str, payload: dict[str, Any], stichtag: date) -> DomainEvent:
    # the dedupe day is the event's date: checking "as of" another day files it under that day
    occurred = datetime.combine(stichtag, datetime.now(UTC).time(), UTC)
    return DomainEvent(type=event_type, payload=payload, occurred_at=occurred, severity="warning")


async def expiring_batches(app: FastAPI, stichtag: date, tage: int) -> AsyncIterator[list[DomainEvent]]:
    """``charge.laeuft_ab`` per free batch with ``stichtag <= mhd <= stichtag + tage`` (stocked, while lager serves)."""
    host = host_of(app)
    charge, artikel = _table(host, "chargen", "charge"), _table(host, "artikel", "artikel")
    if charge is None or artikel is None:
        return
    bestand = _table(host, "lager", "bestand")
    bis = stichtag + timedelta(days=tage)
    stmt = (
        select(
            charge.c.id, charge.c.artikel_id, charge.c.nummer, charge.c.mhd, artikel.c.nummer.label("artikel_nummer")
        )
        .join(artikel, artikel.c.id == charge.c.artikel_id)
        .where(charge.c.status == "frei", charge.c.mhd >= stichtag, charge.c.mhd <= bis)
        .order_by(charge.c.id)
        .limit(CHUNK)
    )
    if bestand is not None:
        stmt = stmt.where(exists().where(bestand.c.charge_id == charge.c.id, bestand.c.menge > 0))
    after = 0
    while True:
        async with app.state.db.session() as session:
            rows = (await session.execute(stmt.where(charge.c.id > after))).all()
        if not rows:
            return
        yield [
            _event(
                CHARGE_LAEUFT_AB,
                {
                    "charge_id": row.id,
                    "artikel_id": row.artikel_id,
                    "artikel_nummer": row.artikel_nummer,
                    "nummer": row.nummer,
                    "mhd": row.mhd.isoformat(),
                    "tage_bis_mhd": (row.mhd - stichtag).days,
                },
                stichtag,
            )
            for row in rows
        ]
        after = rows[-1].id


async def low_stock(app: FastAPI, stichtag: date) -> AsyncIterator[list[DomainEvent]]:
    """``bestand.unter_mindestbestand`` per active artikel whose total stock is below its Mindestbestand."""
    host = host_of(app)
    artikel, bestand = _table(host, "artikel", "artikel"), _table(host, "lager", "bestand")
    if artikel is None or bestand is None:
        return
    totals = select(bestand.c.artikel_id, func.sum(bestand.c.menge).label("menge")).group_by(bestand.c.artikel_id)
    totals_sq = totals.subquery("totals")
    on_hand = func.coalesce(totals_sq.c.menge, 0)
    stmt = (
        select(artikel.c.id, artikel.c.nummer, artikel.c.mindestbestand, on_hand.label("bestand"))
        .outerjoin(totals_sq, totals_sq.c.artikel_id == artikel.c.id)
        .where(and_(artikel.c.aktiv.is_(True), artikel.c.mindestbestand > 0, on_hand < artikel.c.mindestbestand))
        .order_by(artikel.c.id)
        .limit(CHUNK)
    )
    after = 0
    while True:
        async with app.state.db.session() as session:
            rows = (await session.execute(stmt.where(artikel.c.id > after))).all()
        if not rows:
            return
        yield [
            _event(
                UNTER_MINDESTBESTAND,
                {
                    "artikel_id": row.id,
                    "artikel_nummer": row.nummer,
                    "bestand": str(Decimal(row.bestand).quantize(Decimal("0.001"))),
                    "mindestbestand": str(row.mindestbestand),
                },
                stichtag,
            )
            for row in rows
        ]
        after = rows[-1].id
