"""The features computed movement by movement, in plain Python: the computation that served
before ``featurize.py`` replaced it, kept only as the oracle its tests compare with."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo

from modular_server.plugins.anomaly import features
from modular_server.plugins.anomaly.features import Movement, local_time


def usual_quantity(same_type: Sequence[float], recent: Iterable[float]) -> float | None:
    """Median quantity of the same type, or of all recent movements while that type is rare."""
    pool = same_type if len(same_type) >= features.SAME_TYPE_MINIMUM else list(recent)
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
        #: (typ, quantity, local hour, local weekday) of the last features.RECENT movements
        self.recent: deque[tuple[str, float, int, int]] = deque()
        self.hours = [0] * 24
        self.weekdays = [0] * 7
        self.inventur = 0
        self.gaps: deque[float] = deque(maxlen=features.RECENT)
        self.by_type: dict[str, deque[float]] = {}
        self.last_local: datetime | None = None

    def step(self, movement: Movement, zone: tzinfo, *, judge: bool = True) -> list[float] | None:
        """The movement's feature vector (None while warming up or not judged); then remember it."""
        local = local_time(movement.created_at, zone)
        last = self.last_local
        gap = (
            max((local - last).total_seconds() / 3600, features.MIN_GAP_HOURS)
            if last is not None
            else features.MIN_GAP_HOURS
        )
        menge = float(movement.menge)
        typ = movement.typ
        hour, weekday = local.hour, local.weekday()
        vector = self._vector(typ, menge, hour, weekday, gap) if judge and self.seen >= features.WARMUP else None
        if last is not None:
            self.gaps.append(gap)
        recent = self.recent
        if len(recent) == features.RECENT:
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
            same_type = self.by_type[typ] = deque(maxlen=features.PER_TYPE)
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
            _beyond(math.log(ratio), features.USUAL_QUANTITY_BAND),
            max(0.0, float(_nearest_hour(self.hours, hour) - 1)),
            max(0.0, features.USUAL_WEEKDAY_SHARE - self.weekdays[weekday] / count) / features.USUAL_WEEKDAY_SHARE,
            max(0.0, self.inventur / count - features.USUAL_INVENTUR_SHARE),
            _beyond(math.log(gap / _median(gaps)), features.USUAL_GAP_BAND) if gaps else 0.0,
        ]


def sequence_features(sequence: Sequence[Movement], zone: tzinfo) -> list[list[float] | None]:
    """Feature vectors for one artikel's movements (ordered by id), each from its predecessors only;
    None for a movement with fewer than features.WARMUP predecessors."""
    activity = ArtikelActivity()
    return [activity.step(movement, zone) for movement in sequence]
