"""Recompute every balance from the ledger (and reserviert from open reservations) and report
where the maintained balance table disagrees."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import Base
from modular_server.plugins.lager.models import Bestand, Lagerbewegung

Key = tuple[int, int | None, int]


@dataclass(frozen=True)
class Drift:
    key: Key
    column: str
    stored: Decimal
    expected: Decimal

    def __str__(self) -> str:
        artikel, charge, ort = self.key
        return (
            f"artikel {artikel} charge {charge} lagerort {ort}: {self.column} {self.stored} != {self.expected} (ledger)"
        )


async def find_drift(session: AsyncSession, *, with_reservations: bool) -> list[Drift]:
    """Every disagreement between the balance table and what the ledger (and the open
    reservations, when ``with_reservations``) say; 2-3 aggregate queries."""
    expected: dict[Key, Decimal] = defaultdict(Decimal)
    m = Lagerbewegung
    for column, sign in ((m.nach_lagerort_id, 1), (m.von_lagerort_id, -1)):
        rows = await session.execute(
            select(m.artikel_id, m.charge_id, column, func.sum(m.menge))
            .where(column.is_not(None))
            .group_by(m.artikel_id, m.charge_id, column)
        )
        for artikel, charge, ort, total in rows:
            expected[(artikel, charge, ort)] += sign * Decimal(total)
    reserved: dict[Key, Decimal] = defaultdict(Decimal)
    table = Base.metadata.tables.get("lager_chargen_reservierung")
    if with_reservations and table is not None:
        open_rows = await session.execute(
            select(
                table.c.artikel_id, table.c.charge_id, table.c.lagerort_id, func.sum(table.c.menge - table.c.erfuellt)
            )
            .where(table.c.status == "aktiv")
            .group_by(table.c.artikel_id, table.c.charge_id, table.c.lagerort_id)
        )
        for artikel, charge, ort, total in open_rows:
            reserved[(artikel, charge, ort)] += Decimal(total)
    stored: dict[Key, Any] = {
        (b.artikel_id, b.charge_id, b.lagerort_id): b for b in await session.scalars(select(Bestand))
    }
    drift: list[Drift] = []
    for key in sorted(set(expected) | set(stored) | set(reserved), key=lambda k: (k[0], k[1] or 0, k[2])):
        row = stored.get(key)
        menge = row.menge if row is not None else Decimal(0)
        if menge != expected.get(key, Decimal(0)):
            drift.append(Drift(key, "menge", menge, expected.get(key, Decimal(0))))
        if with_reservations:
            reserviert = row.reserviert if row is not None else Decimal(0)
            if reserviert != reserved.get(key, Decimal(0)):
                drift.append(Drift(key, "reserviert", reserviert, reserved.get(key, Decimal(0))))
    return drift
