"""A generated movement ledger with injected outliers, for judging the detector.

Twelve articles in two categories with very different usual quantities; movements during
working hours on weekdays. Three outliers per article, of three kinds: a quantity 30-60x the
usual, a booking at night on a Sunday, an inventory correction 20x the usual.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

START = datetime(2026, 3, 2, 8, tzinfo=UTC)  # a Monday
BASES = (2, 5, 10, 25, 50, 100, 3, 8, 15, 40, 80, 200)
PER_ARTIKEL = 120
OUTLIER_POSITIONS = (40, 75, 105)
OUTLIER_KINDS = ("quantity", "night", "inventur")
NORMAL_TYPES = (("ausgang", 55, 1.0), ("eingang", 33, 6.0), ("umbuchung", 8, 2.0), ("inventur", 4, 0.3))


@dataclass
class Ledger:
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: indexes into rows of the injected outliers
    outliers: set[int] = field(default_factory=set)


def _working_slot(moment: datetime, rng: random.Random) -> datetime:
    """The moment, or the next weekday 07:00-17:59 after it."""
    while moment.weekday() >= 5 or not 7 <= moment.hour <= 17:
        moment = (moment + timedelta(days=1 if moment.hour > 17 or moment.weekday() >= 5 else 0)).replace(
            hour=7, minute=rng.randrange(60)
        )
    return moment


def _menge(value: float) -> Decimal:
    return Decimal(str(round(max(value, 0.001), 3)))


def movement(artikel_id: int, ort: int, typ: str, menge: Decimal, at: datetime) -> dict[str, Any]:
    return {
        "typ": typ,
        "artikel_id": artikel_id,
        "von_lagerort_id": ort if typ in ("ausgang", "umbuchung") else None,
        "nach_lagerort_id": ort if typ != "ausgang" else None,
        "menge": menge,
        "created_at": at,
        "created_by": "dataset",
    }


def generate(artikel_ids: list[int], ort: int, seed: int = 7) -> Ledger:
    rng = random.Random(seed)
    ledger = Ledger()
    names, weights = [t[0] for t in NORMAL_TYPES], [t[1] for t in NORMAL_TYPES]
    factor = {t[0]: t[2] for t in NORMAL_TYPES}
    for index, artikel_id in enumerate(artikel_ids):
        base = BASES[index % len(BASES)]
        at = START + timedelta(minutes=rng.randrange(600))
        for position in range(PER_ARTIKEL):
            at = _working_slot(at + timedelta(hours=rng.uniform(2, 20)), rng)
            if position in OUTLIER_POSITIONS:
                kind = OUTLIER_KINDS[(OUTLIER_POSITIONS.index(position) + index) % len(OUTLIER_KINDS)]
                ledger.outliers.add(len(ledger.rows))
                if kind == "quantity":
                    ledger.rows.append(movement(artikel_id, ort, "ausgang", _menge(base * rng.uniform(30, 60)), at))
                elif kind == "night":
                    sunday = at + timedelta(days=6 - at.weekday())
                    night = sunday.replace(hour=rng.choice((2, 3)), minute=rng.randrange(60))
                    ledger.rows.append(
                        movement(artikel_id, ort, "ausgang", _menge(base * rng.uniform(0.8, 1.2)), night)
                    )
                    at = night
                else:
                    ledger.rows.append(movement(artikel_id, ort, "inventur", _menge(base * rng.uniform(15, 25)), at))
                continue
            typ = rng.choices(names, weights)[0]
            ledger.rows.append(
                movement(artikel_id, ort, typ, _menge(base * factor[typ] * rng.lognormvariate(0, 0.25)), at)
            )
    return ledger
