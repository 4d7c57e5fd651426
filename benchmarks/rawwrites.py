"""The raw floor of a booking: the statements the product's ``POST /api/v1/bewegungen`` runs
(read the artikel, batch and lagerort; lock the balance row, creating it when missing; change
it; insert the movement and its audit entry), hand-written on the bare driver in one
transaction, answered with orjson. What a booking costs at least, with the product's guarantees
of a locked balance and an audit entry in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from benchmarks.rawsql import RawDatabase, RawTransaction, menge, utc

ARTIKEL = """
SELECT id, nummer, name, kategorie, einheit_id, chargenpflicht, mindestbestand, aktiv FROM artikel WHERE id = :id
"""
CHARGE = "SELECT id, artikel_id, nummer, produktionsdatum, mhd, status FROM charge WHERE id = :id"
LAGERORT = "SELECT id, code, gesperrt FROM lagerort WHERE id = :id"
CREATE_BALANCE = """
INSERT INTO bestand (artikel_id, charge_id, lagerort_id, menge, reserviert)
VALUES (:artikel_id, :charge_id, :lagerort_id, 0, 0) ON CONFLICT DO NOTHING
"""
LOCK_BALANCES = """
SELECT id, charge_id, menge, reserviert FROM bestand
WHERE artikel_id = :artikel_id AND lagerort_id = :lagerort_id ORDER BY id{lock}
"""
CHANGE_BALANCE = "UPDATE bestand SET menge = :menge, updated_at = :now WHERE id = :id"
INSERT_MOVEMENT = """
INSERT INTO lagerbewegung (typ, artikel_id, charge_id, von_lagerort_id, nach_lagerort_id, menge,
                           referenz_typ, referenz_id, storno_von_id, bemerkung, created_at, created_by)
VALUES (:typ, :artikel_id, :charge_id, :von, :nach, :menge, :referenz_typ, :referenz_id, NULL, :bemerkung,
        :now, :principal)
RETURNING id, typ, artikel_id, charge_id, von_lagerort_id, nach_lagerort_id, menge, referenz_typ, referenz_id,
          storno_von_id, bemerkung, created_at, created_by
"""
INSERT_AUDIT = """
INSERT INTO audit_log (principal, request_id, action, table_name, detail)
VALUES (:principal, NULL, 'insert', 'lagerbewegung', :detail)
"""
PRINCIPAL = "floor"


class Refused(Exception):
    """The booking cannot be made (422 in the floor's answer)."""


async def book(db: RawDatabase, body: Mapping[str, Any]) -> dict[str, Any]:
    """An ``eingang`` (into ``nach_lagerort_id``) or an ``ausgang`` (out of ``von_lagerort_id``)."""
    typ = body["typ"]
    if typ not in ("eingang", "ausgang"):
        raise Refused("the floor books eingang and ausgang")
    ort_id = body["nach_lagerort_id"] if typ == "eingang" else body["von_lagerort_id"]
    quantity = Decimal(str(body["menge"])).quantize(Decimal("0.001"))
    charge_id = body.get("charge_id")
    async with db.transaction() as tx:
        await _check_master_data(tx, body["artikel_id"], charge_id, ort_id)
        balance = await _lock_balance(tx, body["artikel_id"], charge_id, ort_id)
        stock = Decimal(str(balance["menge"]))
        if typ == "ausgang" and stock - Decimal(str(balance["reserviert"])) < quantity:
            raise Refused("not enough stock")
        now = timestamp(tx, datetime.now(UTC))
        changed = stock + quantity if typ == "eingang" else stock - quantity
        await tx.fetch(CHANGE_BALANCE, menge=changed, now=now, id=balance["id"])
        (movement,) = await tx.fetch(
            INSERT_MOVEMENT,
            typ=typ,
            artikel_id=body["artikel_id"],
            charge_id=charge_id,
            von=ort_id if typ == "ausgang" else None,
            nach=ort_id if typ == "eingang" else None,
            menge=quantity,
            referenz_typ=body.get("referenz_typ"),
            referenz_id=body.get("referenz_id"),
            bemerkung=body.get("bemerkung"),
            now=now,
            principal=PRINCIPAL,
        )
        await tx.fetch(INSERT_AUDIT, principal=PRINCIPAL, detail=f'{{"id": {movement["id"]}}}')
    return {**dict(movement), "menge": menge(movement["menge"]), "created_at": utc(movement["created_at"])}


async def _check_master_data(tx: RawTransaction, artikel_id: int, charge_id: int | None, ort_id: int) -> None:
    artikel = await tx.fetch(ARTIKEL, id=artikel_id)
    if not artikel:
        raise Refused(f"artikel {artikel_id} does not exist")
    if charge_id is not None and not await tx.fetch(CHARGE, id=charge_id):
        raise Refused(f"charge {charge_id} does not exist")
    orte = await tx.fetch(LAGERORT, id=ort_id)
    if not orte or orte[0]["gesperrt"]:
        raise Refused(f"lagerort {ort_id} does not exist or is blocked")


async def _lock_balance(tx: RawTransaction, artikel_id: int, charge_id: int | None, ort_id: int) -> Mapping[str, Any]:
    """Lock the balance row; create it first only when it is missing (as the product does)."""
    # SQLite has no row locks: its writers are serialized by BEGIN IMMEDIATE
    lock = " FOR UPDATE" if tx.style == "numeric" else ""
    rows = await tx.fetch(LOCK_BALANCES.format(lock=lock), artikel_id=artikel_id, lagerort_id=ort_id)
    found = next((row for row in rows if row["charge_id"] == charge_id), None)
    if found is not None:
        return found
    await tx.fetch(CREATE_BALANCE, artikel_id=artikel_id, charge_id=charge_id, lagerort_id=ort_id)
    rows = await tx.fetch(LOCK_BALANCES.format(lock=lock), artikel_id=artikel_id, lagerort_id=ort_id)
    return next(row for row in rows if row["charge_id"] == charge_id)


def timestamp(tx: RawTransaction, moment: datetime) -> Any:
    """The product's form of a timestamp column: aware on PostgreSQL, naive UTC text on SQLite."""
    return moment if tx.style == "numeric" else moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
