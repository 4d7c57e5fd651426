"""After the load: does the ledger agree with every acknowledged answer and with the balances?"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.writes import REFERENZ_TYP

BOOKINGS = text("SELECT referenz_id, id FROM lagerbewegung WHERE referenz_typ = :typ")

# stock per (artikel, charge, lagerort) recomputed from the ledger, compared with the balance
LEDGER_VS_BESTAND = text(
    """
WITH ledger AS (
    SELECT artikel_id, charge_id, ort AS lagerort_id, SUM(delta) AS menge FROM (
        SELECT artikel_id, charge_id, nach_lagerort_id AS ort, menge AS delta FROM lagerbewegung
        WHERE nach_lagerort_id IS NOT NULL
        UNION ALL
        SELECT artikel_id, charge_id, von_lagerort_id AS ort, -menge AS delta FROM lagerbewegung
        WHERE von_lagerort_id IS NOT NULL
    ) moves GROUP BY artikel_id, charge_id, ort
)
SELECT count(*) FROM ledger l
FULL OUTER JOIN bestand b ON b.artikel_id = l.artikel_id AND b.lagerort_id = l.lagerort_id
    AND COALESCE(b.charge_id, 0) = COALESCE(l.charge_id, 0)
WHERE COALESCE(l.menge, 0) <> COALESCE(b.menge, 0)
"""
)

RESERVED_VS_BESTAND = text(
    """
SELECT count(*) FROM bestand b
LEFT JOIN (
    SELECT charge_id, lagerort_id, SUM(menge - erfuellt) AS offen FROM lager_chargen_reservierung
    WHERE status = 'aktiv' GROUP BY charge_id, lagerort_id
) r ON r.charge_id = b.charge_id AND r.lagerort_id = b.lagerort_id
WHERE b.reserviert <> COALESCE(r.offen, 0)
"""
)


@dataclass
class LedgerReport:
    acknowledged: int = 0
    booked_rows: int = 0
    lost: list[int] = field(default_factory=list)  # sequence numbers acknowledged but not in the ledger
    duplicated: list[str] = field(default_factory=list)  # references booked more than once
    wrong_id: list[int] = field(default_factory=list)  # acknowledged id differs from the ledger's
    unacknowledged_booked: int = 0  # booked although the client saw no 2xx (e.g. a timeout)
    balance_mismatches: int | None = None
    reservation_mismatches: int | None = None
    verify_exit_code: int | None = None
    verify_output: str = ""

    @property
    def clean(self) -> bool:
        return (
            not self.lost
            and not self.duplicated
            and not self.wrong_id
            and self.balance_mismatches == 0
            and self.verify_exit_code == 0
        )


def compare_bookings(acknowledged: Iterable[tuple[int, Any]], ledger_rows: Iterable[tuple[str, int]]) -> LedgerReport:
    """``acknowledged``: (sequence number, id the server answered) of every 2xx booking;
    ``ledger_rows``: (referenz_id, id) of every load-test movement in the ledger."""
    report = LedgerReport()
    by_reference: dict[str, list[int]] = {}
    for referenz_id, row_id in ledger_rows:
        by_reference.setdefault(referenz_id, []).append(row_id)
        report.booked_rows += 1
    report.duplicated = sorted(ref for ref, ids in by_reference.items() if len(ids) > 1)
    seen = set()
    for seq, answered_id in acknowledged:
        report.acknowledged += 1
        reference = f"lt-{seq}"
        seen.add(reference)
        ids = by_reference.get(reference)
        if not ids:
            report.lost.append(seq)
        elif answered_id is not None and answered_id not in ids:
            report.wrong_id.append(seq)
    report.unacknowledged_booked = sum(1 for ref in by_reference if ref not in seen)
    return report


async def _ledger(database_url: str) -> tuple[list[tuple[str, int]], int, int]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = [(r, i) for r, i in await conn.execute(BOOKINGS, {"typ": REFERENZ_TYP})]
            balances = (await conn.scalar(LEDGER_VS_BESTAND)) or 0
            reservations = (await conn.scalar(RESERVED_VS_BESTAND)) or 0
    finally:
        await engine.dispose()
    return rows, balances, reservations


def check(database_url: str, acknowledged_bookings: Iterable[tuple[int, Any]]) -> LedgerReport:
    rows, balances, reservations = asyncio.run(_ledger(database_url))
    report = compare_bookings(acknowledged_bookings, rows)
    report.balance_mismatches = balances
    report.reservation_mismatches = reservations
    report.verify_exit_code, report.verify_output = lager_verify(database_url)
    return report


def lager_verify(database_url: str) -> tuple[int, str]:
    """``modular-server lager verify`` against the load test's database."""
    done = subprocess.run(
        [sys.executable, "-m", "modular_server", "lager", "verify"],
        env={**os.environ, "MODULAR_SERVER_DATABASE_URL": database_url, "MODULAR_SERVER_AUTO_MIGRATE": "false"},
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, (done.stdout + done.stderr)[-4000:]
