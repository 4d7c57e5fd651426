"""The raw floor of a reservation: the statements the product's ``POST /api/v1/reservierungen``
runs for an artikel-level FEFO reservation (read the artikel; lock its reservable balances;
release its overdue reservations; raise the reserved quantities; insert the reservations and
their audit entries), hand-written on the bare driver in one transaction, answered with orjson.
What a reservation costs at least, with the product's guarantees of locked balances and audit
entries in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson

from benchmarks.rawsql import RawDatabase, RawTransaction, menge, utc
from benchmarks.rawwrites import ARTIKEL, PRINCIPAL, Refused, timestamp

LOCK_RESERVABLE = """
SELECT b.id, b.charge_id, b.lagerort_id, b.menge, b.reserviert, c.mhd
FROM bestand b JOIN charge c ON c.id = b.charge_id JOIN lagerort o ON o.id = b.lagerort_id
WHERE b.artikel_id = :artikel_id AND b.menge > 0 AND c.status = 'frei' AND (c.mhd IS NULL OR c.mhd >= :today)
  AND o.gesperrt = false
ORDER BY b.id{lock}
"""
OVERDUE = """
SELECT id, charge_id, lagerort_id, menge, erfuellt FROM lager_chargen_reservierung
WHERE status = 'aktiv' AND gueltig_bis < :now AND artikel_id = :artikel_id ORDER BY id LIMIT 1000{lock}
"""
RELEASE = "UPDATE lager_chargen_reservierung SET status = 'abgelaufen', updated_at = :now WHERE id = :id"
CHANGE_RESERVED = "UPDATE bestand SET reserviert = :reserviert, updated_at = :now WHERE id = :id"
INSERT_RESERVATION = """
INSERT INTO lager_chargen_reservierung (anfrage_id, artikel_id, charge_id, lagerort_id, menge, erfuellt,
                                        referenz_typ, referenz_id, status, gueltig_bis, created_at, created_by,
                                        updated_at)
VALUES (:anfrage_id, :artikel_id, :charge_id, :lagerort_id, :menge, 0, :referenz_typ, :referenz_id, 'aktiv', NULL,
        :now, :principal, :now)
RETURNING id
"""


class Insufficient(Refused):
    """Less stock is free than asked for (409 in the floor's answer, as the product's)."""


INSERT_AUDIT = """
INSERT INTO audit_log (principal, request_id, action, table_name, row_id, detail)
VALUES (:principal, NULL, 'insert', 'lager_chargen_reservierung', :row_id, :detail)
"""


async def reserve(db: RawDatabase, body: Mapping[str, Any]) -> dict[str, Any]:
    """Reserve ``menge`` of ``artikel_id`` across its batches, earliest best-before first."""
    artikel_id = body["artikel_id"]
    wanted = Decimal(str(body["menge"])).quantize(Decimal("0.001"))
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        artikel = await tx.fetch(ARTIKEL, id=artikel_id)
        if not artikel or not artikel[0]["chargenpflicht"]:
            raise Refused(f"artikel {artikel_id} does not exist or is not managed in batches")
        balances = {row["id"]: dict(row) for row in await _lock_reservable(tx, artikel_id, now.date())}
        changed = await _release_overdue(tx, artikel_id, now, balances)
        allocation = _fefo(list(balances.values()), wanted)
        for balance, teil in allocation:
            balance["reserviert"] = Decimal(str(balance["reserviert"])) + teil
            changed.add(balance["id"])
        stamp = timestamp(tx, now)
        for balance_id in sorted(changed):
            await tx.fetch(CHANGE_RESERVED, reserviert=balances[balance_id]["reserviert"], now=stamp, id=balance_id)
        anfrage_id = str(uuid.uuid4())
        items = [
            await _insert(tx, anfrage_id, artikel_id, balance, teil, body, stamp, now) for balance, teil in allocation
        ]
    reserved = sum((teil for _, teil in allocation), Decimal(0))
    return {"anfrage_id": anfrage_id, "angefragt": menge(wanted), "reserviert": menge(reserved), "items": items}


async def _lock_reservable(tx: RawTransaction, artikel_id: int, today: date) -> Sequence[Mapping[str, Any]]:
    # SQLite has no row locks: its writers are serialized by BEGIN IMMEDIATE
    lock = " FOR UPDATE OF b" if tx.style == "numeric" else ""
    return await tx.fetch(LOCK_RESERVABLE.format(lock=lock), artikel_id=artikel_id, today=_day(tx, today))


async def _release_overdue(
    tx: RawTransaction, artikel_id: int, now: datetime, balances: dict[int, dict[str, Any]]
) -> set[int]:
    """Overdue reservations of the artikel become ``abgelaufen`` and free their stock (in
    ``balances``, written with the reservation's own change); returns the balances changed."""
    lock = " FOR UPDATE SKIP LOCKED" if tx.style == "numeric" else ""
    due = await tx.fetch(OVERDUE.format(lock=lock), now=timestamp(tx, now), artikel_id=artikel_id)
    changed = set()
    for reservation in due:
        await tx.fetch(RELEASE, now=timestamp(tx, now), id=reservation["id"])
        for balance in balances.values():
            if (balance["charge_id"], balance["lagerort_id"]) == (reservation["charge_id"], reservation["lagerort_id"]):
                offen = Decimal(str(reservation["menge"])) - Decimal(str(reservation["erfuellt"]))
                balance["reserviert"] = Decimal(str(balance["reserviert"])) - offen
                changed.add(balance["id"])
    return changed


def _fefo(balances: list[dict[str, Any]], wanted: Decimal) -> list[tuple[dict[str, Any], Decimal]]:
    """The product's allocation: earliest best-before first, batches without one last; all or nothing."""
    free = [b for b in balances if Decimal(str(b["menge"])) > Decimal(str(b["reserviert"]))]
    free.sort(key=lambda b: (b["mhd"] is None, str(b["mhd"] or ""), b["charge_id"], b["lagerort_id"]))
    allocation, offen = [], wanted
    for balance in free:
        if offen == 0:
            break
        teil = min(offen, Decimal(str(balance["menge"])) - Decimal(str(balance["reserviert"])))
        allocation.append((balance, teil))
        offen -= teil
    if offen > 0:
        raise Insufficient(f"only {wanted - offen} of {wanted} available for reservation")
    return allocation


async def _insert(
    tx: RawTransaction,
    anfrage_id: str,
    artikel_id: int,
    balance: Mapping[str, Any],
    teil: Decimal,
    body: Mapping[str, Any],
    stamp: Any,
    now: datetime,
) -> dict[str, Any]:
    item = {
        "anfrage_id": anfrage_id,
        "artikel_id": artikel_id,
        "charge_id": balance["charge_id"],
        "lagerort_id": balance["lagerort_id"],
        "menge": teil,
        "referenz_typ": body.get("referenz_typ"),
        "referenz_id": body.get("referenz_id"),
    }
    (inserted,) = await tx.fetch(INSERT_RESERVATION, **item, now=stamp, principal=PRINCIPAL)
    answer = {"id": inserted["id"], **item, "menge": menge(teil), "erfuellt": "0.000", "status": "aktiv"}
    answer |= {"gueltig_bis": None, "created_at": utc(now), "created_by": PRINCIPAL}
    detail = orjson.dumps(answer).decode()
    await tx.fetch(INSERT_AUDIT, principal=PRINCIPAL, row_id=str(inserted["id"]), detail=detail)
    return answer


def _day(tx: RawTransaction, day: date) -> Any:
    """A date parameter: a date on PostgreSQL, ISO text on SQLite (as the product stores it)."""
    return day if tx.style == "numeric" else day.isoformat()
