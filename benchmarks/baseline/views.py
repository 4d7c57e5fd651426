"""The baseline's read endpoints as synchronous ORM code (run through ``Session.run_sync``):
every relationship is loaded lazily where it is touched, every stock figure is a ledger SUM."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.baseline import ledger
from benchmarks.baseline.models import Artikel, Charge, Lagerort

THREE_PLACES = Decimal("0.001")


def menge(value: Decimal) -> str:
    return str(Decimal(value).quantize(THREE_PLACES))


def iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def artikel_kurz(artikel: Artikel) -> dict[str, Any]:
    return {
        "id": artikel.id,
        "nummer": artikel.nummer,
        "name": artikel.name,
        "kategorie": artikel.kategorie,
        "einheit_id": artikel.einheit_id,
        "chargenpflicht": artikel.chargenpflicht,
        "aktiv": artikel.aktiv,
    }


def bestand(menge_: Decimal, reserviert: Decimal) -> dict[str, str]:
    return {"menge": menge(menge_), "reserviert": menge(reserviert), "verfuegbar": menge(menge_ - reserviert)}


def charge_out(session: Session, charge: Charge) -> dict[str, Any]:
    return {
        "id": charge.id,
        "artikel_id": charge.artikel_id,
        "nummer": charge.nummer,
        "produktionsdatum": iso(charge.produktionsdatum),
        "mhd": iso(charge.mhd),
        "status": charge.status,
        "lieferant": charge.lieferant,
        "lieferanten_charge": charge.lieferanten_charge,
        "created_at": iso(charge.created_at),
        "updated_at": iso(charge.updated_at),
        "artikel": artikel_kurz(charge.artikel),  # lazy load
        "bestand": bestand(
            ledger.menge_der_charge(session, charge.id), ledger.reserviert_der_charge(session, charge.id)
        ),
    }


def chargen_seite(session: Session, offset: int, limit: int) -> dict[str, Any]:
    chargen = session.scalars(select(Charge).order_by(Charge.id).offset(offset).limit(limit)).all()
    items = [charge_out(session, charge) for charge in chargen]
    return {"items": items, "next_cursor": str(offset + limit) if len(items) == limit else None}


def charge_detail(session: Session, charge_id: int) -> dict[str, Any] | None:
    charge = session.get(Charge, charge_id)
    if charge is None:
        return None
    out = charge_out(session, charge)
    offene = [r for r in charge.reservierungen if r.status == "aktiv"]  # lazy load, filtered in Python
    je_ort: dict[int, Decimal] = {}
    for bewegung in charge.bewegungen:  # lazy load of the batch's whole ledger
        if bewegung.nach_lagerort_id is not None:
            je_ort[bewegung.nach_lagerort_id] = je_ort.get(bewegung.nach_lagerort_id, Decimal(0)) + bewegung.menge
        if bewegung.von_lagerort_id is not None:
            je_ort[bewegung.von_lagerort_id] = je_ort.get(bewegung.von_lagerort_id, Decimal(0)) - bewegung.menge
    orte = []
    for lagerort_id in sorted(je_ort):
        if je_ort[lagerort_id] <= 0:
            continue
        ort = session.get(Lagerort, lagerort_id)  # one SELECT per location
        assert ort is not None
        reserviert = sum((r.menge - r.erfuellt for r in offene if r.lagerort_id == lagerort_id), Decimal(0))
        orte.append(
            {
                "lagerort_id": ort.id,
                "lagerort_code": ort.code,
                "lager_id": ort.lager_id,
                "lagerort_gesperrt": ort.gesperrt,
                **bestand(je_ort[lagerort_id], reserviert),
            }
        )
    out["lagerorte"] = orte
    out["reservierungen"] = [
        {
            "id": r.id,
            "lagerort_id": r.lagerort_id,
            "menge": menge(r.menge),
            "erfuellt": menge(r.erfuellt),
            "offen": menge(r.menge - r.erfuellt),
            "referenz_typ": r.referenz_typ,
            "referenz_id": r.referenz_id,
            "gueltig_bis": iso(r.gueltig_bis),
            "created_at": iso(r.created_at),
        }
        for r in offene
    ]
    return out


def artikel_out(artikel: Artikel) -> dict[str, Any]:
    einheit = artikel.einheit  # lazy load
    return {
        "id": artikel.id,
        "nummer": artikel.nummer,
        "name": artikel.name,
        "beschreibung": artikel.beschreibung,
        "kategorie": artikel.kategorie,
        "einheit": {
            "id": einheit.id,
            "code": einheit.code,
            "name": einheit.name,
            "kategorie": einheit.kategorie,
            "faktor": str(einheit.faktor),
        },
        "chargenpflicht": artikel.chargenpflicht,
        "mindestbestand": menge(artikel.mindestbestand),
        "aktiv": artikel.aktiv,
        "created_at": iso(artikel.created_at),
        "updated_at": iso(artikel.updated_at),
    }


def artikel_seite(session: Session, kategorie: str | None, offset: int, limit: int) -> dict[str, Any]:
    query = select(Artikel).order_by(Artikel.id).offset(offset).limit(limit)
    if kategorie is not None:
        query = query.where(Artikel.kategorie == kategorie)
    items = [artikel_out(a) for a in session.scalars(query).all()]
    return {"items": items, "next_cursor": str(offset + limit) if len(items) == limit else None}


def grund(charge: Charge | None, ort: Lagerort, stichtag: date) -> str | None:
    if charge is not None and charge.status == "zurueckgerufen":
        return "zurueckgerufen"
    if charge is not None and charge.status == "gesperrt":
        return "gesperrt"
    if charge is not None and charge.mhd is not None and charge.mhd < stichtag:
        return "abgelaufen"
    if ort.gesperrt:
        return "lagerort_gesperrt"
    return None


def positionen(session: Session, artikel: Artikel) -> list[tuple[Charge | None, Lagerort, Decimal, Decimal]]:
    """(charge, lagerort, menge, reserviert) with stock > 0, in FEFO order."""
    found: list[tuple[Charge | None, Lagerort, Decimal, Decimal]] = []
    chargen: list[Charge | None] = list(artikel.chargen) if artikel.chargenpflicht else [None]  # lazy load
    for charge in chargen:
        charge_id = None if charge is None else charge.id
        for lagerort_id in ledger.lagerorte_mit_bewegung(session, artikel.id, charge_id):
            auf_lager = ledger.menge_am_ort(session, artikel.id, charge_id, lagerort_id)
            if auf_lager <= 0:
                continue
            reserviert = Decimal(0) if charge is None else ledger.reserviert_der_charge(session, charge.id, lagerort_id)
            ort = session.get(Lagerort, lagerort_id)
            assert ort is not None
            found.append((charge, ort, auf_lager, reserviert))

    def fefo(position: tuple[Charge | None, Lagerort, Decimal, Decimal]) -> tuple[Any, ...]:
        charge, ort = position[0], position[1]
        mhd = None if charge is None else charge.mhd
        return (mhd is None, mhd or date.min, 0 if charge is None else charge.id, ort.id)

    return sorted(found, key=fefo)


def verfuegbarkeit(session: Session, artikel_id: int, stichtag: date) -> dict[str, Any] | None:
    artikel = session.get(Artikel, artikel_id)
    if artikel is None:
        return None
    verfuegbar, nicht_verfuegbar = [], []
    summe_menge, summe_reserviert = Decimal(0), Decimal(0)
    for charge, ort, auf_lager, reserviert in positionen(session, artikel):
        warum = grund(charge, ort, stichtag)
        position = {
            "charge": None
            if charge is None
            else {"id": charge.id, "nummer": charge.nummer, "mhd": iso(charge.mhd), "status": charge.status},
            "lagerort_id": ort.id,
            "lagerort_code": ort.code,
            "lager_id": ort.lager_id,
            **bestand(auf_lager, reserviert),
            "grund": warum,
        }
        if warum is None:
            verfuegbar.append(position)
            summe_menge += auf_lager
            summe_reserviert += reserviert
        else:
            nicht_verfuegbar.append(position)
    return {
        "artikel": artikel_kurz(artikel),
        "stichtag": stichtag.isoformat(),
        "summe": bestand(summe_menge, summe_reserviert),
        "verfuegbar": verfuegbar,
        "nicht_verfuegbar": nicht_verfuegbar,
    }
