"""The baseline's write endpoints: booking a movement and reserving with FEFO, checked
against stock recomputed from the ledger, row by row (no balance table, no row locks)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Body, FastAPI, HTTPException
from sqlalchemy.orm import Session

from benchmarks.baseline import ledger, views
from benchmarks.baseline.models import Artikel, Charge, Lagerbewegung, Lagerort, Reservierung

Write = Callable[[Callable[[Session], Any]], Awaitable[Any]]


def _menge(raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw))
    except InvalidOperation as error:
        raise HTTPException(status_code=422, detail="menge is not a number") from error
    if value <= 0:
        raise HTTPException(status_code=422, detail="menge must be positive")
    return value


def _exists(session: Session, model: type, key: Any) -> Any:
    row = session.get(model, key)
    if row is None:
        raise HTTPException(status_code=422, detail=f"unknown {model.__tablename__} {key}")
    return row


def buchen(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    menge = _menge(body.get("menge"))
    artikel = _exists(session, Artikel, body.get("artikel_id"))
    charge_id = body.get("charge_id")
    if charge_id is not None:
        _exists(session, Charge, charge_id)
    von, nach = body.get("von_lagerort_id"), body.get("nach_lagerort_id")
    if von is None and nach is None:
        raise HTTPException(status_code=422, detail="von_lagerort_id or nach_lagerort_id is required")
    for ort in (von, nach):
        if ort is not None:
            _exists(session, Lagerort, ort)
    if von is not None and ledger.menge_am_ort(session, artikel.id, charge_id, von) < menge:
        raise HTTPException(status_code=409, detail="not enough stock")
    bewegung = Lagerbewegung(
        typ=body.get("typ", "eingang"),
        artikel_id=artikel.id,
        charge_id=charge_id,
        von_lagerort_id=von,
        nach_lagerort_id=nach,
        menge=menge,
        referenz_typ=body.get("referenz_typ"),
        referenz_id=body.get("referenz_id"),
        bemerkung=body.get("bemerkung"),
        created_at=datetime.now(UTC),
        created_by="baseline",
    )
    session.add(bewegung)
    session.flush()
    return {"id": bewegung.id, "typ": bewegung.typ, "menge": views.menge(menge), "charge_id": charge_id}


def reservieren(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    rest = _menge(body.get("menge"))
    artikel = _exists(session, Artikel, body.get("artikel_id"))
    stichtag = datetime.now(UTC).date()
    anfrage_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    rows = []
    for charge, ort, auf_lager, reserviert in views.positionen(session, artikel):  # ledger SUMs per position
        if charge is None or views.grund(charge, ort, stichtag) is not None:
            continue
        take = min(auf_lager - reserviert, rest)
        if take <= 0:
            continue
        row = Reservierung(
            anfrage_id=anfrage_id,
            artikel_id=artikel.id,
            charge_id=charge.id,
            lagerort_id=ort.id,
            menge=take,
            erfuellt=Decimal(0),
            referenz_typ=body.get("referenz_typ"),
            referenz_id=body.get("referenz_id"),
            status="aktiv",
            created_at=now,
            updated_at=now,
            created_by="baseline",
        )
        session.add(row)
        rows.append(row)
        rest -= take
        if rest == 0:
            break
    if rest > 0:
        raise HTTPException(status_code=409, detail="not enough available stock")
    session.flush()
    return {
        "anfrage_id": anfrage_id,
        "items": [
            {"id": r.id, "charge_id": r.charge_id, "lagerort_id": r.lagerort_id, "menge": views.menge(r.menge)}
            for r in rows
        ],
    }


def add_routes(app: FastAPI, write: Write) -> None:
    @app.post("/api/v1/bewegungen", status_code=201)
    async def bewegung(body: dict[str, Any] = Body(...)) -> Any:
        return await write(lambda s: buchen(s, body))

    @app.post("/api/v1/reservierungen", status_code=201)
    async def reservierung(body: dict[str, Any] = Body(...)) -> Any:
        return await write(lambda s: reservieren(s, body))
