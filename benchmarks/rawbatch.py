"""The raw floor of a batch booking: the statements the product's ``POST
/api/v1/bewegungen/batch`` runs for N movements (read the artikel, batches and lagerorte of all
items; lock the balances, creating missing rows first when there are; change them; insert every
movement in one multi-row INSERT and one audit entry for it), hand-written on the bare driver in
one transaction, answered with orjson. All or nothing, like the product's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from benchmarks.rawsql import RawDatabase, RawTransaction, menge, utc
from benchmarks.rawwrites import CHANGE_BALANCE, CREATE_BALANCE, PRINCIPAL, Refused, timestamp

MOVEMENT_COLUMNS = (
    "typ, artikel_id, charge_id, von_lagerort_id, nach_lagerort_id, menge, referenz_typ, referenz_id, "
    "storno_von_id, bemerkung, created_at, created_by"
)
INSERT_AUDIT = """
INSERT INTO audit_log (principal, request_id, action, table_name, detail)
VALUES (:principal, NULL, 'insert', 'lagerbewegung', :detail)
"""

Key = tuple[int, int | None, int]  # artikel, charge, lagerort


@dataclass(frozen=True, slots=True)
class Item:
    typ: str
    artikel_id: int
    charge_id: int | None
    ort_id: int
    menge: Decimal
    referenz_typ: str | None
    referenz_id: str | None

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> Item:
        typ = body["typ"]
        if typ not in ("eingang", "ausgang"):
            raise Refused("the floor books eingang and ausgang")
        ort = body["nach_lagerort_id"] if typ == "eingang" else body["von_lagerort_id"]
        quantity = Decimal(str(body["menge"])).quantize(Decimal("0.001"))
        return cls(
            typ,
            body["artikel_id"],
            body.get("charge_id"),
            ort,
            quantity,
            body.get("referenz_typ"),
            body.get("referenz_id"),
        )

    @property
    def key(self) -> Key:
        return self.artikel_id, self.charge_id, self.ort_id


async def book_batch(db: RawDatabase, bodies: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    items = [Item.of(body) for body in bodies]
    if not items:
        raise Refused("a batch needs at least one item")
    async with db.transaction() as tx:
        await _check_master_data(tx, items)
        balances = await _lock_balances(tx, items)
        for item in items:
            balance = balances[item.key]
            stock, reserved = Decimal(str(balance["menge"])), Decimal(str(balance["reserviert"]))
            if item.typ == "ausgang" and stock - reserved < item.menge:
                raise Refused(f"not enough stock at lagerort {item.ort_id}")
            balance["menge"] = stock + item.menge if item.typ == "eingang" else stock - item.menge
        now = datetime.now(UTC)
        stamp = timestamp(tx, now)
        await tx.execute_many(
            CHANGE_BALANCE, [{"menge": b["menge"], "now": stamp, "id": b["id"]} for b in balances.values()]
        )
        movements = await _insert_movements(tx, items, stamp)
        detail = {"bulk": True, "rows": len(items)}
        await tx.fetch(INSERT_AUDIT, principal=PRINCIPAL, detail=orjson.dumps(detail).decode())
    return {"items": [{**dict(m), "menge": menge(m["menge"]), "created_at": utc(m["created_at"])} for m in movements]}


def _in(name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """``(:name0, :name1, ...)`` and its parameters (the product's expanding IN)."""
    unique = list(dict.fromkeys(values))
    return "(" + ", ".join(f":{name}{i}" for i in range(len(unique))) + ")", {
        f"{name}{i}": v for i, v in enumerate(unique)
    }


async def _check_master_data(tx: RawTransaction, items: Sequence[Item]) -> None:
    artikel_in, artikel_params = _in("a", [i.artikel_id for i in items])
    known = {
        r["id"]
        for r in await tx.fetch(f"SELECT id, chargenpflicht FROM artikel WHERE id IN {artikel_in}", **artikel_params)
    }
    batches = [i.charge_id for i in items if i.charge_id is not None]
    if batches:
        charge_in, charge_params = _in("c", batches)
        sql = f"SELECT id, artikel_id, status FROM charge WHERE id IN {charge_in}"
        known_batches = {r["id"] for r in await tx.fetch(sql, **charge_params)}
    else:
        known_batches = set()
    ort_in, ort_params = _in("o", [i.ort_id for i in items])
    open_orte = {
        r["id"]
        for r in await tx.fetch(f"SELECT id, code, gesperrt FROM lagerort WHERE id IN {ort_in}", **ort_params)
        if not r["gesperrt"]
    }
    for index, item in enumerate(items):
        if item.artikel_id not in known:
            raise Refused(f"items[{index}]: artikel {item.artikel_id} does not exist")
        if item.charge_id is not None and item.charge_id not in known_batches:
            raise Refused(f"items[{index}]: charge {item.charge_id} does not exist")
        if item.ort_id not in open_orte:
            raise Refused(f"items[{index}]: lagerort {item.ort_id} does not exist or is blocked")


async def _lock_balances(tx: RawTransaction, items: Sequence[Item]) -> dict[Key, dict[str, Any]]:
    """Lock the balance rows; create the missing ones first only when some are (as the product does)."""
    keys = list(dict.fromkeys(item.key for item in items))
    found = await _locked(tx, keys)
    missing = [key for key in keys if key not in found]
    if missing:
        rows = [{"artikel_id": a, "charge_id": c, "lagerort_id": o} for a, c, o in missing]
        await tx.execute_many(CREATE_BALANCE, rows)
        found = await _locked(tx, keys)
    return {key: found[key] for key in keys}


async def _locked(tx: RawTransaction, keys: Sequence[Key]) -> dict[Key, dict[str, Any]]:
    artikel_in, artikel_params = _in("a", [k[0] for k in keys])
    ort_in, ort_params = _in("o", [k[2] for k in keys])
    # SQLite has no row locks: its writers are serialized by BEGIN IMMEDIATE
    lock = " FOR UPDATE" if tx.style == "numeric" else ""
    sql = (
        f"SELECT id, artikel_id, charge_id, lagerort_id, menge, reserviert FROM bestand "
        f"WHERE artikel_id IN {artikel_in} AND lagerort_id IN {ort_in} ORDER BY id{lock}"
    )
    return {
        (r["artikel_id"], r["charge_id"], r["lagerort_id"]): dict(r)
        for r in await tx.fetch(sql, **artikel_params, **ort_params)
    }


async def _insert_movements(tx: RawTransaction, items: Sequence[Item], stamp: Any) -> Sequence[Mapping[str, Any]]:
    rows, params = [], {}
    for n, item in enumerate(items):
        values = {
            "typ": item.typ,
            "artikel_id": item.artikel_id,
            "charge_id": item.charge_id,
            "von": item.ort_id if item.typ == "ausgang" else None,
            "nach": item.ort_id if item.typ == "eingang" else None,
            "menge": item.menge,
            "referenz_typ": item.referenz_typ,
            "referenz_id": item.referenz_id,
            "now": stamp,
            "principal": PRINCIPAL,
        }
        params |= {f"{name}{n}": value for name, value in values.items()}
        rows.append(
            f"(:typ{n}, :artikel_id{n}, :charge_id{n}, :von{n}, :nach{n}, :menge{n}, :referenz_typ{n}, "
            f":referenz_id{n}, NULL, NULL, :now{n}, :principal{n})"
        )
    sql = f"INSERT INTO lagerbewegung ({MOVEMENT_COLUMNS}) VALUES {', '.join(rows)} RETURNING id, {MOVEMENT_COLUMNS}"
    returned = await tx.fetch(sql, **params)
    return sorted(returned, key=lambda m: m["id"])
