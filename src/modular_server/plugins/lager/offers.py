"""What the lager plugin offers to the plugins that require it - the only module of this
plugin another plugin may import.

* **Booking**: :class:`Planned` movements are booked with :func:`book` - the one path that
  changes stock, whoever asks (a reservation being fulfilled books its ``ausgang`` here).
* **Balances for reservations**: :func:`lock_reservable` and :func:`lock_balances` lock
  balance rows in the fixed order every booking uses and hand them out as :class:`Balance`
  objects. Their ``reserviert`` is the one attribute a requiring plugin may change, inside the
  same transaction; the database's CHECKs (0 <= reserviert <= menge) stay the last line.
* **Tables for reads**: :data:`LAGERBEWEGUNG` (the movement ledger), :data:`BESTAND` and
  :data:`LAGERORT` - SQLAlchemy Core ``Table`` objects for ``select``/``join`` only. Promised
  columns: ``lagerbewegung`` id, typ, artikel_id, charge_id, von_lagerort_id,
  nach_lagerort_id, menge, created_at, created_by; ``bestand`` id, artikel_id, charge_id,
  lagerort_id, menge, reserviert; ``lagerort`` id, lager_id, code, gesperrt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugins.lager import booking
from modular_server.plugins.lager.booking import Balance, Key, Planned, Reservable, lock_reservable, principal_name
from modular_server.plugins.lager.models import Bestand, Lagerbewegung, Lagerort

__all__ = [
    "BESTAND",
    "LAGERBEWEGUNG",
    "LAGERORT",
    "Balance",
    "Key",
    "Planned",
    "Reservable",
    "book",
    "lagerort_exists",
    "lock_balances",
    "lock_reservable",
    "principal_name",
]

#: the movement ledger, for reads
LAGERBEWEGUNG: Table = Lagerbewegung.__table__  # type: ignore[assignment]
#: stock per artikel, charge and lagerort, for reads
BESTAND: Table = Bestand.__table__  # type: ignore[assignment]
#: storage locations, for reads
LAGERORT: Table = Lagerort.__table__  # type: ignore[assignment]


async def book(session: AsyncSession, planned: Sequence[Planned], principal: str) -> list[int]:
    """Book ``planned`` (all or nothing, 409/422 naming each failing item); the new movements' ids."""
    return [movement.id for movement in await booking.apply(session, planned, principal)]


async def lock_balances(session: AsyncSession, keys: set[Key]) -> Mapping[Key, Balance]:
    """The balances of ``keys`` (artikel_id, charge_id, lagerort_id), created when missing and locked in id order."""
    return await booking.lock_balances(session, keys)


async def lagerort_exists(session: AsyncSession, lagerort_id: int) -> bool:
    return await session.get(Lagerort, lagerort_id) is not None
