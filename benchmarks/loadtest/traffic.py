"""The request mix: 80 % reads, 15 % bookings, 5 % reservations (some bound to conflict)."""

from __future__ import annotations

import random
from typing import Any

from benchmarks import writes
from benchmarks.probe import Facts
from benchmarks.scenarios import get

READ_SHARE, BOOKING_SHARE, RESERVATION_SHARE = 80, 15, 5
CONFLICT_MENGE = "999999999"  # more than any article has: answered 409, books nothing


def mix(facts: Facts, *, cycles: int = 10, seed: int = 8) -> list[dict[str, Any]]:
    """``cycles`` x 100 requests in the shares above, shuffled with a fixed seed so every run
    sends the same sequence. Bookings are two thirds incoming, one third outgoing movements;
    one reservation in five asks for more than exists."""
    reservable = writes.reservable(facts)
    if not facts.bestand or not reservable or not facts.charge_ids or not facts.artikel_ids:
        raise ValueError("the dataset has no stock to work on")
    requests: list[dict[str, Any]] = []
    for cycle in range(cycles):
        requests += [_read(facts, cycle * READ_SHARE + n) for n in range(READ_SHARE)]
        for n in range(BOOKING_SHARE):
            artikel_id, charge_id, lagerort_id, _free = facts.bestand[(cycle * BOOKING_SHARE + n) % len(facts.bestand)]
            typ = "ausgang" if n % 3 == 2 else "eingang"
            requests.append(writes.booking(artikel_id, charge_id, lagerort_id, typ=typ))
        for n in range(RESERVATION_SHARE):
            artikel_id = reservable[(cycle * RESERVATION_SHARE + n) % len(reservable)]
            requests.append(writes.reservation(artikel_id, CONFLICT_MENGE if n == 0 else "1"))
    random.Random(seed).shuffle(requests)
    return requests


def _read(facts: Facts, n: int) -> dict[str, Any]:
    kind = n % 5
    if kind == 0:
        request = get("/api/v1/chargen", limit=50)
    elif kind == 1:
        request = get(f"/api/v1/chargen/{facts.charge_ids[n % len(facts.charge_ids)]}")
    elif kind == 2:
        request = get(f"/api/v1/artikel/{facts.artikel_ids[n % len(facts.artikel_ids)]}/verfuegbarkeit")
    elif kind == 3:
        request = get("/api/v1/artikel", kategorie=facts.kategorie, limit=50)
    else:
        artikel_id = facts.bestand[n % len(facts.bestand)][0]
        request = get("/api/v1/bestand", artikel_id=artikel_id)
    return request | {"tag": "read"}
