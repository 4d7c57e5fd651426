"""The write requests (booking a movement, reserving with FEFO) for the benchmark and the
load test. ``{seq}`` in a body becomes a number unique within the load generator, so every
booking carries its own reference and can be found in the ledger afterwards."""

from __future__ import annotations

from typing import Any

from benchmarks.probe import Facts
from benchmarks.scenarios import Endpoint, post

REFERENZ_TYP = "loadtest"


def booking(artikel_id: int, charge_id: int | None, lagerort_id: int, *, typ: str = "eingang") -> dict[str, Any]:
    """One movement of 1 unit: ``eingang`` into the location, ``ausgang`` out of it."""
    body: dict[str, Any] = {
        "typ": typ,
        "artikel_id": artikel_id,
        "charge_id": charge_id,
        "menge": "1",
        "referenz_typ": REFERENZ_TYP,
        "referenz_id": "lt-{seq}",
    }
    body["nach_lagerort_id" if typ == "eingang" else "von_lagerort_id"] = lagerort_id
    return post("/api/v1/bewegungen", body, "booking")


def reservation(artikel_id: int, menge: str = "1") -> dict[str, Any]:
    """An artikel-level reservation, allocated by FEFO across batches."""
    body = {"artikel_id": artikel_id, "menge": menge, "referenz_typ": REFERENZ_TYP, "referenz_id": "lt-{seq}"}
    return post("/api/v1/reservierungen", body, "reservation")


def reservable(facts: Facts) -> list[int]:
    """Artikel of the stock sample that can be reserved: only batch-managed stock (Chargenpflicht)."""
    return [artikel_id for artikel_id, charge_id, _ort, _free in facts.bestand if charge_id is not None]


def write_endpoints(facts: Facts) -> list[Endpoint]:
    bookings = [booking(a, c, o) for a, c, o, _free in facts.bestand]
    raw_bookings = [{**b, "path": "/raw/bewegungen"} for b in bookings]
    reservations = [reservation(a) for a in reservable(facts)]
    raw_reservations = [{**r, "path": "/raw/reservierungen"} for r in reservations]
    return [
        Endpoint(
            "booking",
            f"booking a movement (eingang of 1 unit, {len(bookings)} stock rows in turn)",
            {"baseline": bookings, "product": bookings, "raw": raw_bookings},
            write=True,
        ),
        Endpoint(
            "reservation",
            f"reserving 1 unit of an article with FEFO allocation ({len(reservations)} articles in turn)",
            {"baseline": reservations, "product": reservations, "raw": raw_reservations},
            write=True,
        ),
    ]
