"""The write requests (booking a movement, reserving with FEFO) for the benchmark and the
load test. ``{seq}`` in a body becomes a number unique within the load generator, so every
booking carries its own reference and can be found in the ledger afterwards."""

from __future__ import annotations

import json
from typing import Any

from benchmarks.probe import Facts
from benchmarks.scenarios import Endpoint, post

REFERENZ_TYP = "loadtest"
#: movements per batch booking
BATCH_SIZE = 100


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


def batches(bookings: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """``bookings`` (requests of :func:`booking`) as batch requests of ``size`` movements each."""
    items = [json.loads(b["body"]) for b in bookings]
    chunks = [items[start : start + size] for start in range(0, len(items) - size + 1, size)] or [items]
    return [post("/api/v1/bewegungen/batch", {"items": chunk}, "batch") for chunk in chunks]


def write_endpoints(facts: Facts) -> list[Endpoint]:
    bookings = [booking(a, c, o) for a, c, o, _free in facts.bestand]
    batch = batches(bookings, BATCH_SIZE)
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
            "batch_booking",
            f"booking {BATCH_SIZE} movements in one batch (eingang of 1 unit each; {len(batch)} batches in turn)",
            {"product": batch, "raw": [{**b, "path": "/raw/bewegungen/batch"} for b in batch]},
            write=True,
            items=len(json.loads(batch[0]["body"])["items"]),
            before_endpoint="booking",
        ),
        Endpoint(
            "reservation",
            f"reserving 1 unit of an article with FEFO allocation ({len(reservations)} articles in turn)",
            {"baseline": reservations, "product": reservations, "raw": raw_reservations},
            write=True,
        ),
    ]
