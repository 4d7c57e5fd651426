"""Facts about the dataset the scenarios need (ids to request, the busiest kategorie)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.dataset import INVENTORY_TABLES

SAMPLE = 200
T = TypeVar("T")


@dataclass(frozen=True)
class Facts:
    chargen: int  # number of batches
    charge_ids: list[int]  # evenly spaced sample
    artikel_ids: list[int]  # sample of artikel that have stock
    kategorie: str  # the most common artikel kategorie
    kategorie_artikel: int
    # (artikel_id, charge_id, lagerort_id, menge) of stock rows with free quantity, for writes
    bestand: list[tuple[int, int | None, int, str]]
    rows: dict[str, int]  # rows per inventory table
    server_version: str


def evenly(values: Sequence[T], count: int) -> list[T]:
    """``count`` values spread evenly over ``values`` (all of them when there are fewer)."""
    if len(values) <= count:
        return list(values)
    step = len(values) / count
    return [values[int(i * step)] for i in range(count)]


async def _probe(database_url: str) -> Facts:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            charge_ids = list((await conn.scalars(text("SELECT id FROM charge ORDER BY id"))).all())
            artikel_ids = list(
                (await conn.scalars(text("SELECT DISTINCT artikel_id FROM bestand WHERE menge > 0 ORDER BY 1"))).all()
            )
            kategorie, count = (
                await conn.execute(
                    text(
                        "SELECT kategorie, count(*) FROM artikel WHERE kategorie IS NOT NULL "
                        "GROUP BY kategorie ORDER BY count(*) DESC, kategorie LIMIT 1"
                    )
                )
            ).one()
            bestand = (
                await conn.execute(
                    text(
                        "SELECT b.artikel_id, b.charge_id, b.lagerort_id, b.menge - b.reserviert FROM bestand b "
                        "JOIN lagerort o ON o.id = b.lagerort_id JOIN artikel a ON a.id = b.artikel_id "
                        "LEFT JOIN charge c ON c.id = b.charge_id "
                        "WHERE b.menge - b.reserviert >= 10 AND NOT o.gesperrt AND a.aktiv "
                        "AND (c.id IS NULL OR (c.status = 'frei' AND (c.mhd IS NULL OR c.mhd > CURRENT_DATE))) "
                        "ORDER BY b.id"
                    )
                )
            ).all()
            rows = {t: (await conn.scalar(text(f"SELECT count(*) FROM {t}"))) or 0 for t in INVENTORY_TABLES}
            version_query = "SELECT sqlite_version()" if conn.dialect.name == "sqlite" else "SHOW server_version"
            server_version = f"{conn.dialect.name} {await conn.scalar(text(version_query))}"
    finally:
        await engine.dispose()
    return Facts(
        chargen=len(charge_ids),
        charge_ids=evenly(charge_ids, SAMPLE),
        artikel_ids=evenly(artikel_ids, SAMPLE),
        kategorie=kategorie,
        kategorie_artikel=count,
        bestand=[(a, c, o, str(m)) for a, c, o, m in evenly(bestand, SAMPLE)],
        rows=rows,
        server_version=server_version,
    )


def probe(database_url: str) -> Facts:
    return asyncio.run(_probe(database_url))
