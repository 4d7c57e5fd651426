"""Query rows -> response models (the shapes of schemas.py), without further queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row

from modular_server.plugin import JsonAnswer, nested_rows
from modular_server.plugins.artikel.offers import ArtikelInfo
from modular_server.plugins.chargen.queries import LIST_ARTIKEL_COLUMNS, ORT_COLUMNS, STOCK_COLUMNS, summe_werte
from modular_server.plugins.chargen.schemas import (
    Ausgang,
    ChargeOut,
    Grund,
    Kante,
    OffeneReservierung,
    VerfolgteCharge,
    VerfolgungOut,
)


def charge_items(rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    """Charge rows (``queries._list_rows``) as the fields of ``ChargeOut``, in its order;
    ``bestand`` is filled when the rows carry the stock totals (read while lager serves),
    else null (unknown)."""
    items = nested_rows(rows, artikel=LIST_ARTIKEL_COLUMNS)
    for values in items:
        carried = STOCK_COLUMNS[0] in values
        values["bestand"] = summe_werte(*(values.pop(name) for name in STOCK_COLUMNS)) if carried else None
    return items


def charge_page(rows: Sequence[Row[Any]], cursor: str | None) -> JsonAnswer:
    """A page of list rows as ``Page[ChargeOut]``'s bytes: rows of our own database are not
    validated again (the tests compare the bytes with the validated model's)."""
    return JsonAnswer({"items": charge_items(rows), "next_cursor": cursor})


def charge_out(row: Row[Any]) -> ChargeOut:
    """A charge row (``queries.get_charge``) as the validated answer of a write."""
    return ChargeOut.model_validate(charge_items([row])[0])


def bestand_am_ort(ort: dict[str, Any]) -> dict[str, Any]:
    """The ``ort`` columns of a ``queries.charge_mit_orten`` row as the fields of ``BestandAmOrt``, in its order."""
    return {**ort, "verfuegbar": ort["menge"] - ort["reserviert"]}


def offene_reservierung_werte(row: Row[Any]) -> dict[str, Any]:
    """A row of ``queries.offene_reservierungen`` as the fields of ``OffeneReservierung``, in its order."""
    return {
        "id": row.id,
        "lagerort_id": row.lagerort_id,
        "menge": row.menge,
        "erfuellt": row.erfuellt,
        "offen": row.menge - row.erfuellt,
        "referenz_typ": row.referenz_typ,
        "referenz_id": row.referenz_id,
        "gueltig_bis": row.gueltig_bis,
        "created_at": row.created_at,
    }


def offene_reservierung(row: Row[Any]) -> OffeneReservierung:
    return OffeneReservierung.model_validate(offene_reservierung_werte(row))


def ausgang(row: Row[Any]) -> Ausgang:
    return Ausgang(**row._mapping)


def charge_detail(rows: Sequence[Row[Any]], reservierungen: Sequence[Row[Any]] | None) -> JsonAnswer:
    """``ChargeDetail``'s bytes from rows of our own database (not validated again): ``rows``
    from ``queries.charge_mit_orten`` (stock per lagerort) or one of ``queries.read_charge``
    (stock unknown)."""
    items = nested_rows(rows, artikel=LIST_ARTIKEL_COLUMNS, ort=ORT_COLUMNS)
    detail = items[0]
    orte = None
    if "ort" in detail:
        orte = [bestand_am_ort(item.pop("ort")) for item in items if item["ort"]["lagerort_id"] is not None]
        detail.pop("ort", None)
        detail["bestand"] = summe_werte(sum(o["menge"] for o in orte), sum(o["reserviert"] for o in orte))
    else:
        detail["bestand"] = None
    detail["lagerorte"] = orte
    detail["reservierungen"] = (
        None if reservierungen is None else [offene_reservierung_werte(r) for r in reservierungen]
    )
    return JsonAnswer(detail)


def verfolgung(charge: Row[Any], tiefe: int, rows: Iterable[Row[Any]]) -> VerfolgungOut:
    nodes: dict[str, dict[int, VerfolgteCharge]] = {"rueckwaerts": {}, "vorwaerts": {}}
    kanten: dict[tuple[int, int], Kante] = {}
    for row in rows:
        reached = row.parent_id if row.richtung == "rueckwaerts" else row.child_id
        known = nodes[row.richtung].get(reached)
        if known is None or row.tiefe < known.tiefe:
            nodes[row.richtung][reached] = VerfolgteCharge(
                id=reached,
                nummer=row.nummer,
                artikel_id=row.artikel_id,
                artikel_nummer=row.artikel_nummer,
                status=row.status,
                mhd=row.mhd,
                tiefe=row.tiefe,
            )
        kanten[(row.parent_id, row.child_id)] = Kante(
            parent_id=row.parent_id, child_id=row.child_id, art=row.art, menge=row.menge
        )

    def ordered(found: dict[int, VerfolgteCharge]) -> list[VerfolgteCharge]:
        return sorted(found.values(), key=lambda n: (n.tiefe, n.id))

    return VerfolgungOut(
        charge=charge_out(charge),
        tiefe=tiefe,
        vorfahren=ordered(nodes["rueckwaerts"]),
        nachfahren=ordered(nodes["vorwaerts"]),
        kanten=[kanten[k] for k in sorted(kanten)],
    )


def _grund(row: Row[Any], stichtag: date) -> Grund | None:
    if row.status == "zurueckgerufen" or row.status == "gesperrt":
        return row.status  # type: ignore[no-any-return]
    if row.mhd is not None and row.mhd < stichtag:
        return "abgelaufen"
    if row.lagerort_gesperrt:
        return "lagerort_gesperrt"
    return None


def verfuegbarkeit_unbekannt(artikel: ArtikelInfo, stichtag: date) -> JsonAnswer:
    """``VerfuegbarkeitOut``'s bytes while stock is unknown (lager not serving)."""
    kurz = {name: getattr(artikel, name) for name in LIST_ARTIKEL_COLUMNS}
    return JsonAnswer(
        {"artikel": kurz, "stichtag": stichtag, "summe": None, "verfuegbar": None, "nicht_verfuegbar": None}
    )


def verfuegbarkeit(rows: Sequence[Row[Any]], stichtag: date) -> JsonAnswer:
    """``VerfuegbarkeitOut``'s bytes from ``queries.positionen`` rows (not validated again).
    Rows arrive in FEFO order; both lists keep it."""
    kurz = nested_rows(rows[:1], artikel=LIST_ARTIKEL_COLUMNS)[0]["artikel"]
    frei: list[dict[str, Any]] = []
    nicht: list[dict[str, Any]] = []
    for row in rows:
        if row.lagerort_id is None:  # the artikel holds no stock anywhere
            continue
        grund = _grund(row, stichtag)
        charge = None
        if row.charge_id is not None:
            charge = {"id": row.charge_id, "nummer": row.charge_nummer, "mhd": row.mhd, "status": row.status}
        position = {
            "charge": charge,
            "lagerort_id": row.lagerort_id,
            "lagerort_code": row.lagerort_code,
            "lager_id": row.lager_id,
            "menge": row.menge,
            "reserviert": row.reserviert,
            "verfuegbar": row.menge - row.reserviert,
            "grund": grund,
        }
        (frei if grund is None else nicht).append(position)
    total = summe_werte(sum(p["menge"] for p in frei), sum(p["reserviert"] for p in frei))
    return JsonAnswer(
        {"artikel": kurz, "stichtag": stichtag, "summe": total, "verfuegbar": frei, "nicht_verfuegbar": nicht}
    )
