"""Movement features and their plain-language explanation. Pure Python: no scikit-learn here.

One function computes the features for training and for scoring, so both see the same
numbers. Every feature describes a movement relative to the movements of its artikel before
it, and is built so that ordinary movements crowd near one value (an IsolationForest isolates
what lies apart; a feature that spreads ordinary movements out only adds noise):

* ``log_menge_ratio`` - log of the quantity over the usual quantity of that type
* ``type_share`` - share of this type among the artikel's recent movements
* ``hour_distance`` - hours from the nearest hour of day the artikel was recently booked at
* ``weekday_share`` - share of recent movements on the same weekday
* ``inventur_share`` - share of inventory corrections among recent movements
* ``log_gap_ratio`` - log of the time since the previous movement over the usual gap
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
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


def local_time(moment: datetime, zone: tzinfo) -> datetime:
    # SQLite hands back naive datetimes; they are stored in UTC
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone)


def usual_quantity(same_type: Sequence[float], recent: Iterable[float]) -> float | None:
    """Median quantity of the same type, or of all recent movements while that type is rare."""
    pool = same_type if len(same_type) >= SAME_TYPE_MINIMUM else list(recent)
    return _median(pool) if pool else None


def _beyond(log_ratio: float, band: float) -> float:
    """How far a log ratio lies outside ``[-band, band]`` (0 inside), keeping its sign."""
    return math.copysign(max(0.0, abs(log_ratio) - band), log_ratio)


def _median(values: Iterable[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _nearest_hour(counts: Sequence[int], hour: int) -> int:
    """Hours (around the clock) from ``hour`` to the nearest hour with a count."""
    for distance in range(13):
        if counts[(hour + distance) % 24] or counts[(hour - distance) % 24]:
            return distance
    return 0


class ArtikelActivity:
    """The recent activity of one artikel, advanced movement by movement (in id order).

    Training, rescoring and live scoring all step through an artikel's movements with one of
    these, so they see the same numbers; rescoring keeps one across chunk boundaries, live
    scoring warms one up on the artikel's last HISTORY movements without judging them. Counts
    of hours, weekdays and inventory corrections over the recent movements are kept as they
    change, so a step costs the same however long the recent window is.
    """

    __slots__ = ("by_type", "gaps", "hours", "inventur", "last_local", "recent", "seen", "weekdays")

    def __init__(self) -> None:
        self.seen = 0
        #: (typ, quantity, local hour, local weekday) of the last RECENT movements
        self.recent: deque[tuple[str, float, int, int]] = deque()
        self.hours = [0] * 24
        self.weekdays = [0] * 7
        self.inventur = 0
        self.gaps: deque[float] = deque(maxlen=RECENT)
        self.by_type: dict[str, deque[float]] = {}
        self.last_local: datetime | None = None

    def step(self, movement: Movement, zone: tzinfo, *, judge: bool = True) -> list[float] | None:
        """The movement's feature vector (None while warming up or not judged); then remember it."""
        local = local_time(movement.created_at, zone)
        last = self.last_local
        gap = max((local - last).total_seconds() / 3600, MIN_GAP_HOURS) if last is not None else MIN_GAP_HOURS
        menge = float(movement.menge)
        typ = movement.typ
        hour, weekday = local.hour, local.weekday()
        vector = self._vector(typ, menge, hour, weekday, gap) if judge and self.seen >= WARMUP else None
        if last is not None:
            self.gaps.append(gap)
        recent = self.recent
        if len(recent) == RECENT:
            old_typ, _, old_hour, old_weekday = recent.popleft()
            self.hours[old_hour] -= 1
            self.weekdays[old_weekday] -= 1
            self.inventur -= old_typ == "inventur"
        recent.append((typ, menge, hour, weekday))
        self.hours[hour] += 1
        self.weekdays[weekday] += 1
        self.inventur += typ == "inventur"
        same_type = self.by_type.get(typ)
        if same_type is None:
            same_type = self.by_type[typ] = deque(maxlen=PER_TYPE)
        same_type.append(menge)
        self.last_local = local
        self.seen += 1
        return vector

    def _vector(self, typ: str, menge: float, hour: int, weekday: int, gap: float) -> list[float]:
        count = len(self.recent)
        usual = usual_quantity(self.by_type.get(typ, ()), (r[1] for r in self.recent))
        ratio = menge / usual if usual and menge > 0 else 1.0
        gaps = self.gaps
        return [
            _beyond(math.log(ratio), USUAL_QUANTITY_BAND),
            max(0.0, float(_nearest_hour(self.hours, hour) - 1)),
            max(0.0, USUAL_WEEKDAY_SHARE - self.weekdays[weekday] / count) / USUAL_WEEKDAY_SHARE,
            max(0.0, self.inventur / count - USUAL_INVENTUR_SHARE),
            _beyond(math.log(gap / _median(gaps)), USUAL_GAP_BAND) if gaps else 0.0,
        ]


def sequence_features(sequence: Sequence[Movement], zone: tzinfo) -> list[list[float] | None]:
    """Feature vectors for one artikel's movements (ordered by id), each from its predecessors only;
    None for a movement with fewer than WARMUP predecessors."""
    activity = ArtikelActivity()
    return [activity.step(movement, zone) for movement in sequence]


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
