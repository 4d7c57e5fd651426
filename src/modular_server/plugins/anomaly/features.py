"""Movement features: their definition and plain-language explanation. No numpy or
scikit-learn here (routes and queries import this module).

The computation is ``featurize.py`` (numpy, over a whole chunk), used by training and by
scoring alike, so both see the same numbers. Every feature describes a movement relative to
the movements of its artikel before it, and is built so that ordinary movements crowd near
one value (an IsolationForest isolates what lies apart; a feature that spreads ordinary
movements out only adds noise). "Recent" are the artikel's last RECENT movements before it
(fewer while it has fewer), times are local wall-clock times in the configured zone, and a
gap is the wall-clock time since the artikel's movement before, in hours, at least
MIN_GAP_HOURS:

* ``menge_abweichung`` - log of the quantity over the usual quantity, beyond the band
  USUAL_QUANTITY_BAND (0 inside it, signed outside). Usual: the median of the last PER_TYPE
  quantities of the same type, or of the recent quantities while there are fewer than
  SAME_TYPE_MINIMUM of that type; the ratio is 1 while the usual is 0
* ``hour_abweichung`` - hours around the clock from the movement's hour to the nearest hour
  a recent movement was booked at, minus 1 (at least 0)
* ``weekday_rarity`` - how far the share of recent movements on its weekday lies below
  USUAL_WEEKDAY_SHARE, as a fraction of it
* ``inventur_excess`` - share of inventory corrections among the recent movements above
  USUAL_INVENTUR_SHARE
* ``gap_abweichung`` - log of the gap over the median gap of the recent movements (those that
  have one: not the artikel's first), beyond the band USUAL_GAP_BAND; 0 without gaps

An artikel's first WARMUP movements get no vector.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any

TYPEN = ("eingang", "ausgang", "umbuchung", "inventur", "storno")
FEATURES = ("menge_abweichung", "hour_abweichung", "weekday_rarity", "inventur_excess", "gap_abweichung")
#: preceding movements of the artikel that describe its recent activity
RECENT = 30
#: preceding movements of each type that describe the usual quantity of that type
PER_TYPE = 10
#: how far back scoring reads an artikel's history (enough to find PER_TYPE of a rarer type)
HISTORY = 200
#: an artikel's first movements have no usual behaviour to compare with: never judged, never trained on
WARMUP = 10
#: same-type movements needed before the usual quantity is taken from that type alone
SAME_TYPE_MINIMUM = 3
#: quantities within 1/2x..2x of the usual, and gaps within 1/10x..10x of the usual, count as usual
USUAL_QUANTITY_BAND = math.log(2)
USUAL_GAP_BAND = math.log(10)
#: up to this share of inventory corrections among recent movements is ordinary
USUAL_INVENTUR_SHARE = 0.25
#: a weekday with at least this share of the recent movements is a usual one
USUAL_WEEKDAY_SHARE = 0.1
#: gaps shorter than this count as this long (bookings in one go are not "faster than usual")
MIN_GAP_HOURS = 0.25
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class Movement:
    id: int
    artikel_id: int
    typ: str
    #: read as a float (the features need nothing more precise)
    menge: float | Decimal
    created_at: datetime


@dataclass(frozen=True, slots=True)
class History:
    """An artikel's movements before a batch as far back as live scoring looks (its last
    HISTORY): how many there are, and - oldest first - at least those the features of its next
    movement need: the last RECENT + 1 (the one before them for the gap of the first) and the
    last PER_TYPE of each type. All of them will do as well."""

    seen: int
    movements: list[Movement]


def local_time(moment: datetime, zone: tzinfo) -> datetime:
    # SQLite hands back naive datetimes; they are stored in UTC
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone)


def as_dict(vector: Sequence[float]) -> dict[str, float]:
    return {name: round(value, 6) for name, value in zip(FEATURES, vector, strict=True)}


# --- statistics of the training data and explanations --------------------------------------


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def training_stats(vectors: Sequence[Sequence[float]]) -> dict[str, list[float]]:
    """Per feature the 5th, 50th and 95th percentile of the training data."""
    stats = {}
    for index, name in enumerate(FEATURES):
        column = sorted(v[index] for v in vectors)
        stats[name] = [_quantile(column, 0.05), _quantile(column, 0.5), _quantile(column, 0.95)]
    return stats


def explain(vector: Sequence[float], stats: dict[str, Any], movement: Movement, zone: tzinfo) -> str:
    """Say in plain words what is unusual about a flagged movement (at most two things)."""
    f = dict(zip(FEATURES, vector, strict=True))
    high = {name: stats[name][2] for name in FEATURES}
    found: list[str] = []
    menge = f["menge_abweichung"]
    if menge > max(high["menge_abweichung"], 0.0):
        found.append(f"quantity {_times(math.exp(menge + USUAL_QUANTITY_BAND))} the usual for this article")
    elif menge < min(stats["menge_abweichung"][0], 0.0):
        found.append(f"quantity only 1/{math.exp(USUAL_QUANTITY_BAND - menge):.0f} of the usual for this article")
    local = local_time(movement.created_at, zone)
    if f["hour_abweichung"] > high["hour_abweichung"]:
        hours = f["hour_abweichung"] + 1
        found.append(f"booked at {local:%H:%M}, {hours:.0f} h away from this article's usual times")
    if f["weekday_rarity"] > max(high["weekday_rarity"], 0.5):
        found.append(f"booked on a {WEEKDAYS[local.weekday()]}, unusual for this article")
    if f["inventur_excess"] > high["inventur_excess"]:
        share = f["inventur_excess"] + USUAL_INVENTUR_SHARE
        found.append(f"inventory corrections are {share:.0%} of the article's recent movements")
    gap = f["gap_abweichung"]
    if gap > max(high["gap_abweichung"], 0.0):
        found.append(f"first movement after a pause {_times(math.exp(gap + USUAL_GAP_BAND))} as long as usual")
    return "; ".join(found[:2]) or "unusual combination of quantity, type and time for this article"


def _times(ratio: float) -> str:
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"
