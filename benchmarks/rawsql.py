"""The raw floor's queries: hand-written SQL on the bare driver, one or two statements per
page, rows turned into the product's JSON bytes with orjson (a test compares them, on both
backends; only a next page's cursor differs, the product signs its own)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy.engine import make_url

SQLITE_CONNECTIONS = 4
_NAMED = re.compile(r"(?<!:):(\w+)")


def positional(sql: str, params: Mapping[str, Any], style: str) -> tuple[str, list[Any]]:
    """``:name`` parameters -> ``$1..$n`` (asyncpg) or ``?`` (sqlite3), with the values in order."""
    names: list[str] = []

    def replace(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return f"${len(names)}" if style == "numeric" else "?"

    return _NAMED.sub(replace, sql), [params[name] for name in names]


class RawTransaction:
    """Statements on one connection (inside :meth:`RawDatabase.transaction`)."""

    def __init__(self, style: str, connection: Any) -> None:
        self.style, self._connection = style, connection

    async def fetch(self, sql: str, **params: Any) -> Sequence[Mapping[str, Any]]:
        query, args = positional(sql, params, self.style)
        if self.style == "numeric":
            return await self._connection.fetch(query, *args)
        # sqlite3 binds no Decimal: the column's numeric affinity reads the text as a number
        args = [str(value) if isinstance(value, Decimal) else value for value in args]
        async with self._connection.execute(query, args) as cursor:
            return await cursor.fetchall()

    async def execute_many(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """One statement for many parameter sets (the driver's executemany, as the product's)."""
        if not rows:
            return
        converted = [positional(sql, row, self.style) for row in rows]
        query = converted[0][0]
        if self.style == "numeric":
            await self._connection.executemany(query, [args for _, args in converted])
            return
        # sqlite3 binds no Decimal: the column's numeric affinity reads the text as a number
        await self._connection.executemany(
            query, [[str(v) if isinstance(v, Decimal) else v for v in args] for _, args in converted]
        )


class RawDatabase:
    """asyncpg pool or a few aiosqlite connections behind one ``fetch``."""

    def __init__(self, style: str, pool: Any, sqlite: asyncio.Queue[Any] | None) -> None:
        self.style, self._pool, self._sqlite = style, pool, sqlite

    @classmethod
    async def open(cls, database_url: str) -> RawDatabase:
        url = make_url(database_url)
        if url.get_backend_name() == "postgresql":
            import asyncpg

            pool = await asyncpg.create_pool(
                host=url.host, port=url.port, user=url.username, password=url.password, database=url.database
            )
            return cls("numeric", pool, None)
        import aiosqlite

        connections: asyncio.Queue[Any] = asyncio.Queue()
        for _ in range(SQLITE_CONNECTIONS):
            connection = await aiosqlite.connect(url.database)
            connection.row_factory = sqlite3.Row
            connections.put_nowait(connection)
        return cls("qmark", None, connections)

    async def fetch(self, sql: str, **params: Any) -> Sequence[Mapping[str, Any]]:
        if self._pool is not None:
            query, args = positional(sql, params, self.style)
            return await self._pool.fetch(query, *args)
        assert self._sqlite is not None
        connection = await self._sqlite.get()
        try:
            return await RawTransaction(self.style, connection).fetch(sql, **params)
        finally:
            self._sqlite.put_nowait(connection)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[RawTransaction]:
        """One connection in one transaction (SQLite: ``BEGIN IMMEDIATE``, as the product's writers)."""
        if self._pool is not None:
            async with self._pool.acquire() as connection, connection.transaction():
                yield RawTransaction(self.style, connection)
            return
        assert self._sqlite is not None
        connection = await self._sqlite.get()
        try:
            await connection.execute("BEGIN IMMEDIATE")
            try:
                yield RawTransaction(self.style, connection)
            except BaseException:
                await connection.rollback()
                raise
            await connection.commit()
        finally:
            self._sqlite.put_nowait(connection)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        while self._sqlite is not None and not self._sqlite.empty():
            await self._sqlite.get_nowait().close()


def menge(value: Any) -> str:
    return f"{Decimal(str(value or 0)):.3f}"


def dumps(document: object) -> bytes:
    # the product's (pydantic's) form of a UTC timestamp ends in "Z"
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)


def utc(value: Any) -> Any:
    """A timestamp as the product answers it: SQLite keeps naive UTC text, asyncpg gives datetimes."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _bestand(menge_: Any, reserviert: Any) -> dict[str, str]:
    m, r = Decimal(str(menge_ or 0)), Decimal(str(reserviert or 0))
    return {"menge": menge(m), "reserviert": menge(r), "verfuegbar": menge(m - r)}


CHARGE_COLUMNS = (
    "c.id, c.artikel_id, c.nummer, c.produktionsdatum, c.mhd, c.status, c.lieferant, c.lieferanten_charge, "
    "c.created_at, c.updated_at, a.nummer AS a_nummer, a.name AS a_name, a.kategorie AS a_kategorie, "
    "a.einheit_id AS a_einheit_id, a.chargenpflicht AS a_chargenpflicht, a.aktiv AS a_aktiv"
)


def _charge(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "artikel_id": row["artikel_id"],
        "nummer": row["nummer"],
        "produktionsdatum": row["produktionsdatum"],
        "mhd": row["mhd"],
        "status": row["status"],
        "lieferant": row["lieferant"],
        "lieferanten_charge": row["lieferanten_charge"],
        "created_at": utc(row["created_at"]),
        "updated_at": utc(row["updated_at"]),
        "artikel": {
            "id": row["artikel_id"],
            "nummer": row["a_nummer"],
            "name": row["a_name"],
            "kategorie": row["a_kategorie"],
            "einheit_id": row["a_einheit_id"],
            "chargenpflicht": bool(row["a_chargenpflicht"]),
            "aktiv": bool(row["a_aktiv"]),
        },
    }


CHARGEN_PAGE = f"""
WITH page AS (SELECT * FROM charge WHERE id > :after ORDER BY id LIMIT :limit)
SELECT {CHARGE_COLUMNS}, s.menge AS s_menge, s.reserviert AS s_reserviert
FROM page c JOIN artikel a ON a.id = c.artikel_id
LEFT JOIN (
    SELECT charge_id, SUM(menge) AS menge, SUM(reserviert) AS reserviert FROM bestand
    WHERE charge_id IN (SELECT id FROM page) GROUP BY charge_id
) s ON s.charge_id = c.id
ORDER BY c.id
"""


async def chargen_page(db: RawDatabase, after: int, limit: int) -> dict[str, Any]:
    rows = await db.fetch(CHARGEN_PAGE, after=after, limit=limit)
    items = [{**_charge(r), "bestand": _bestand(r["s_menge"], r["s_reserviert"])} for r in rows]
    return {"items": items, "next_cursor": str(items[-1]["id"]) if len(items) == limit else None}


CHARGE_MIT_ORTEN = f"""
SELECT {CHARGE_COLUMNS}, b.lagerort_id, o.code AS lagerort_code, o.lager_id, o.gesperrt AS lagerort_gesperrt,
       b.menge AS b_menge, b.reserviert AS b_reserviert
FROM charge c JOIN artikel a ON a.id = c.artikel_id
LEFT JOIN bestand b ON b.charge_id = c.id AND b.menge > 0
LEFT JOIN lagerort o ON o.id = b.lagerort_id
WHERE c.id = :charge_id ORDER BY b.lagerort_id
"""

OFFENE_RESERVIERUNGEN = """
SELECT id, lagerort_id, menge, erfuellt, referenz_typ, referenz_id, gueltig_bis, created_at
FROM lager_chargen_reservierung WHERE charge_id = :charge_id AND status = 'aktiv' ORDER BY id LIMIT 500
"""


async def charge_detail(db: RawDatabase, charge_id: int) -> dict[str, Any]:
    rows = await db.fetch(CHARGE_MIT_ORTEN, charge_id=charge_id)
    reservierungen = await db.fetch(OFFENE_RESERVIERUNGEN, charge_id=charge_id)
    orte = [
        {
            "lagerort_id": r["lagerort_id"],
            "lagerort_code": r["lagerort_code"],
            "lager_id": r["lager_id"],
            "lagerort_gesperrt": bool(r["lagerort_gesperrt"]),
            **_bestand(r["b_menge"], r["b_reserviert"]),
        }
        for r in rows
        if r["lagerort_id"] is not None
    ]
    total = sum(Decimal(str(r["b_menge"] or 0)) for r in rows)
    reserved = sum(Decimal(str(r["b_reserviert"] or 0)) for r in rows)
    return {
        **_charge(rows[0]),
        "bestand": _bestand(total, reserved),
        "lagerorte": orte,
        "reservierungen": [
            {
                "id": r["id"],
                "lagerort_id": r["lagerort_id"],
                "menge": menge(r["menge"]),
                "erfuellt": menge(r["erfuellt"]),
                "offen": menge(Decimal(str(r["menge"])) - Decimal(str(r["erfuellt"]))),
                "referenz_typ": r["referenz_typ"],
                "referenz_id": r["referenz_id"],
                "gueltig_bis": utc(r["gueltig_bis"]),
                "created_at": utc(r["created_at"]),
            }
            for r in reservierungen
        ],
    }


ARTIKEL_PAGE = """
SELECT a.id, a.nummer, a.name, a.beschreibung, a.kategorie, a.chargenpflicht, a.mindestbestand, a.aktiv,
       a.created_at, a.updated_at, e.id AS e_id, e.code AS e_code, e.name AS e_name, e.kategorie AS e_kategorie,
       e.faktor AS e_faktor
FROM artikel a JOIN einheit e ON e.id = a.einheit_id
WHERE a.kategorie = :kategorie ORDER BY a.id LIMIT :limit
"""


async def artikel_page(db: RawDatabase, kategorie: str, limit: int) -> dict[str, Any]:
    rows = await db.fetch(ARTIKEL_PAGE, kategorie=kategorie, limit=limit)
    items = [
        {
            "id": r["id"],
            "nummer": r["nummer"],
            "name": r["name"],
            "beschreibung": r["beschreibung"],
            "kategorie": r["kategorie"],
            "einheit": {
                "id": r["e_id"],
                "code": r["e_code"],
                "name": r["e_name"],
                "kategorie": r["e_kategorie"],
                "faktor": f"{Decimal(str(r['e_faktor'])):.6f}",
            },
            "chargenpflicht": bool(r["chargenpflicht"]),
            "mindestbestand": menge(r["mindestbestand"]),
            "aktiv": bool(r["aktiv"]),
            "created_at": utc(r["created_at"]),
            "updated_at": utc(r["updated_at"]),
        }
        for r in rows
    ]
    return {"items": items, "next_cursor": str(items[-1]["id"]) if len(items) == limit else None}


POSITIONEN = """
SELECT a.id AS a_id, a.nummer AS a_nummer, a.name AS a_name, a.kategorie AS a_kategorie,
       a.einheit_id AS a_einheit_id, a.chargenpflicht AS a_chargenpflicht, a.aktiv AS a_aktiv,
       b.charge_id, c.nummer AS charge_nummer, c.mhd, c.status, b.lagerort_id, o.code AS lagerort_code, o.lager_id,
       o.gesperrt AS lagerort_gesperrt, b.menge, b.reserviert
FROM artikel a
LEFT JOIN bestand b ON b.artikel_id = a.id AND b.menge > 0
LEFT JOIN lagerort o ON o.id = b.lagerort_id
LEFT JOIN charge c ON c.id = b.charge_id
WHERE a.id = :artikel_id
ORDER BY CASE WHEN c.mhd IS NULL THEN 1 ELSE 0 END, c.mhd, b.charge_id, b.lagerort_id
"""


def _grund(row: Mapping[str, Any], stichtag: str) -> str | None:
    if row["status"] in ("zurueckgerufen", "gesperrt"):
        return str(row["status"])
    if row["mhd"] is not None and str(row["mhd"]) < stichtag:
        return "abgelaufen"
    return "lagerort_gesperrt" if row["lagerort_gesperrt"] else None


async def verfuegbarkeit(db: RawDatabase, artikel_id: int, stichtag: str | None) -> dict[str, Any]:
    tag = stichtag or datetime.now(UTC).date().isoformat()
    date.fromisoformat(tag)  # reject anything that is not a date
    rows = await db.fetch(POSITIONEN, artikel_id=artikel_id)
    verfuegbar, nicht_verfuegbar = [], []
    total, reserved = Decimal(0), Decimal(0)
    for r in rows:
        if r["lagerort_id"] is None:
            continue
        grund = _grund(r, tag)
        position = {
            "charge": None
            if r["charge_id"] is None
            else {"id": r["charge_id"], "nummer": r["charge_nummer"], "mhd": r["mhd"], "status": r["status"]},
            "lagerort_id": r["lagerort_id"],
            "lagerort_code": r["lagerort_code"],
            "lager_id": r["lager_id"],
            **_bestand(r["menge"], r["reserviert"]),
            "grund": grund,
        }
        if grund is None:
            verfuegbar.append(position)
            total += Decimal(str(r["menge"]))
            reserved += Decimal(str(r["reserviert"]))
        else:
            nicht_verfuegbar.append(position)
    first = rows[0]
    return {
        "artikel": {
            "id": first["a_id"],
            "nummer": first["a_nummer"],
            "name": first["a_name"],
            "kategorie": first["a_kategorie"],
            "einheit_id": first["a_einheit_id"],
            "chargenpflicht": bool(first["a_chargenpflicht"]),
            "aktiv": bool(first["a_aktiv"]),
        },
        "stichtag": tag,
        "summe": _bestand(total, reserved),
        "verfuegbar": verfuegbar,
        "nicht_verfuegbar": nicht_verfuegbar,
    }
