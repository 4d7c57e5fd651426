"""The features of ``features.py`` for a whole chunk of movements at once, with numpy.

Training, rescoring and live scoring all compute their vectors here, so they see the same
numbers; the definition of each feature is the one documented in ``features.py`` (a test holds
this computation equal to a movement-by-movement one over generated histories). Stepping
through the movements one by one in Python cost more per movement than scoring them.

The input is a list of movements ordered by (artikel_id, id). Each artikel may be preceded by a
``Tail``: what its next movement's features need from the movements before the chunk (rescoring
carries one across a chunk boundary, live scoring keeps one per recently booked artikel). Every
window - the RECENT movements before a movement, the PER_TYPE before it of its type - is a
gather of at most that many earlier rows of the same artikel into a NaN-padded matrix; medians
sort its rows, counts of hours, weekdays and inventory corrections are differences of prefix
sums.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo

import numpy as np

from modular_server.plugins.anomaly.features import (
    MIN_GAP_HOURS,
    PER_TYPE,
    RECENT,
    SAME_TYPE_MINIMUM,
    USUAL_GAP_BAND,
    USUAL_INVENTUR_SHARE,
    USUAL_QUANTITY_BAND,
    USUAL_WEEKDAY_SHARE,
    WARMUP,
    History,
    Movement,
)
from modular_server.plugins.anomaly.wallclock import hour_and_weekday, wall_micros

NO_GAP = math.nan  # an artikel's first movement has no gap to its predecessor


@dataclass(frozen=True, slots=True, eq=False)
class Tail:
    """What the features of an artikel's next movement need from its movements so far: the last
    RECENT of them (with the gap before each) and, before those, the rows that still hold one of
    the last PER_TYPE quantities of their type."""

    #: movements of the artikel so far (only whether it reaches WARMUP matters, and the count)
    seen: int
    #: rows oldest first; the first ``older`` of them only for their type's quantities
    older: int
    typ: tuple[str, ...]
    menge: np.ndarray
    #: local wall-clock microseconds
    wall: np.ndarray
    #: hours since the movement before (NO_GAP for the artikel's first)
    gap: np.ndarray


@dataclass(frozen=True, slots=True, eq=False)
class Chunk:
    """The feature vectors of a chunk's movements, in its order."""

    #: one row per movement of the chunk (rows of unjudged movements are undefined)
    vectors: np.ndarray
    #: movements that have a vector: judged and past their artikel's warm-up
    judged: np.ndarray
    tails: dict[int, Tail]

    def vector(self, index: int) -> list[float] | None:
        return self.vectors[index].tolist() if self.judged[index] else None


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """True where a run of rows with equal keys begins (the rows are grouped by the keys)."""
    starts = np.zeros(len(keys[0]), bool)
    if len(starts):
        starts[0] = True
        for key in keys:
            starts[1:] |= key[1:] != key[:-1]
    return starts


def _positions(starts: np.ndarray) -> np.ndarray:
    """Each row's position within its run (``starts`` from ``_run_starts``)."""
    index = np.arange(len(starts))
    return index - np.maximum.accumulate(np.where(starts, index, 0))


def _window(values: np.ndarray, ends: np.ndarray, sizes: np.ndarray, width: int) -> np.ndarray:
    """Per row the ``sizes`` values before index ``ends`` (right-aligned), NaN-padded to ``width``."""
    columns = np.arange(width)
    index = ends[:, None] - width + columns[None, :]
    valid = columns[None, :] >= width - sizes[:, None]
    return np.where(valid, values[np.clip(index, 0, None)], np.nan)


def _medians(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median of each row's non-NaN values (NaN for none) and their count; ``features._median``'s
    arithmetic: the middle value, or the mean of the two middle ones."""
    ordered = np.sort(window, axis=1)  # NaN sorts last
    counts = np.count_nonzero(~np.isnan(window), axis=1)
    rows = np.arange(len(window))
    upper = ordered[rows, np.clip(counts // 2, 0, window.shape[1] - 1)]
    lower = ordered[rows, np.clip(counts // 2 - 1, 0, window.shape[1] - 1)]
    medians = np.where(counts % 2 == 1, upper, (lower + upper) / 2)
    return np.where(counts > 0, medians, np.nan), counts


def _log(values: np.ndarray) -> np.ndarray:
    # math.log, not np.log: numpy's vectorised log may differ from the C library's in the last
    # bit, and the features are defined (and models were trained) with math.log
    return np.fromiter(map(math.log, values.tolist()), dtype=float, count=len(values))


def _gap_hours(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """Hours between wall-clock microseconds, at least MIN_GAP_HOURS; rounded as
    ``timedelta.total_seconds() / 3600`` rounds them (microseconds / 10**6, then / 3600)."""
    return np.maximum((later - earlier) / 1e6 / 3600, MIN_GAP_HOURS)


def _beyond(log_ratio: np.ndarray, band: float) -> np.ndarray:
    return np.copysign(np.maximum(0.0, np.abs(log_ratio) - band), log_ratio)


def _nearest_hours(counts: np.ndarray, hour: np.ndarray) -> np.ndarray:
    """``features._nearest_hour`` per row: hours around the clock to the nearest booked hour."""
    rows = np.arange(len(hour))[:, None]
    distances = np.arange(13)[None, :]
    hit = (counts[rows, (hour[:, None] + distances) % 24] > 0) | (counts[rows, (hour[:, None] - distances) % 24] > 0)
    return np.where(hit.any(axis=1), hit.argmax(axis=1), 0)


def _prefix(categories: np.ndarray, width: int) -> np.ndarray:
    """Row i: how often each category occurs in rows before i."""
    counts = np.zeros((len(categories) + 1, width), dtype=np.int32)
    counts[np.arange(1, len(categories) + 1), categories] = 1  # one category per row
    return np.cumsum(counts, axis=0)


@dataclass(slots=True)
class _Rows:
    """The chunk with its tails' rows before their artikel: the columns the features read."""

    artikel: np.ndarray
    typ: list[str]
    menge: np.ndarray
    wall: np.ndarray
    #: given for a tail's rows; NaN for the chunk's own until computed
    gap: np.ndarray
    #: the chunk's movements (not a tail's)
    own: np.ndarray
    #: False for a tail's older rows, which only hold quantities of their type
    recent: np.ndarray
    #: per row: movements of its artikel before its first recent row here
    first_seen: np.ndarray


def _own_rows(movements: Sequence[Movement], zone: tzinfo) -> _Rows:
    n = len(movements)
    return _Rows(
        artikel=np.fromiter((m.artikel_id for m in movements), dtype=np.int64, count=n),
        typ=[m.typ for m in movements],
        menge=np.fromiter((float(m.menge) for m in movements), dtype=float, count=n),
        wall=wall_micros([m.created_at for m in movements], zone),
        gap=np.full(n, NO_GAP),
        own=np.ones(n, bool),
        recent=np.ones(n, bool),
        first_seen=np.zeros(n, np.int64),
    )


def _tail_rows(artikel_id: int, tail: Tail) -> _Rows:
    k = len(tail.typ)
    return _Rows(
        artikel=np.full(k, artikel_id, np.int64),
        typ=list(tail.typ),
        menge=tail.menge,
        wall=tail.wall,
        gap=tail.gap,
        own=np.zeros(k, bool),
        recent=np.arange(k) >= tail.older,
        first_seen=np.full(k, tail.seen - (k - tail.older), np.int64),
    )


_FIELDS = ("artikel", "typ", "menge", "wall", "gap", "own", "recent", "first_seen")


def _slice(rows: _Rows, start: int, end: int) -> _Rows:
    return _Rows(*(getattr(rows, f)[start:end] for f in _FIELDS))


def _span(sorted_keys: np.ndarray, key: int) -> tuple[int, int]:
    """The rows ``[start, end)`` holding ``key`` among keys in ascending order."""
    return int(np.searchsorted(sorted_keys, key, "left")), int(np.searchsorted(sorted_keys, key, "right"))


def _joined(pieces: Sequence[_Rows]) -> _Rows:
    columns = {f: [getattr(p, f) for p in pieces] for f in _FIELDS}
    typ = [t for column in columns.pop("typ") for t in column]
    return _Rows(typ=typ, **{f: np.concatenate(c) for f, c in columns.items()})


def _rows(movements: Sequence[Movement], zone: tzinfo, tails: Mapping[int, Tail]) -> _Rows:
    """The movements as rows, each artikel's tail (if any) right before its first movement."""
    own = _own_rows(movements, zone)
    used = sorted(tails.keys() & set(own.artikel[_run_starts(own.artikel)].tolist()))
    if not used:
        return own
    pieces, cut = [], 0
    for artikel_id in used:
        start, end = _span(own.artikel, artikel_id)
        tail = tails[artikel_id]
        pieces += [_slice(own, cut, start), _tail_rows(artikel_id, tail)]
        # the artikel's own movements continue the count where its tail ends
        mine = _slice(own, start, end)
        mine.first_seen = np.full(end - start, tail.seen - (len(tail.typ) - tail.older), np.int64)
        pieces.append(mine)
        cut = end
    pieces.append(_slice(own, cut, len(movements)))
    return _joined(pieces)


def features_of(
    movements: Sequence[Movement],
    zone: tzinfo,
    *,
    tails: Mapping[int, Tail] | None = None,
    judge: np.ndarray | None = None,
    keep: Collection[int] = (),
) -> Chunk:
    """Feature vectors of ``movements`` (ordered by (artikel_id, id)), each from its artikel's
    movements before it: its ``tails`` entry, then the earlier movements here. ``judge`` (all by
    default) says which movements want a vector; ``keep`` which artikel's tails to return."""
    if not movements:
        return Chunk(np.zeros((0, 5)), np.zeros(0, bool), {})
    rows = _rows(movements, zone, tails or {})
    n = len(rows.artikel)
    own_index = np.flatnonzero(rows.own)
    names, codes = np.unique(np.asarray(rows.typ), return_inverse=True)
    codes = codes.reshape(-1)
    inventur = codes == int(np.searchsorted(names, "inventur")) if "inventur" in names else np.zeros(n, bool)
    same_median, same_count, same_after = _same_type_medians(rows.artikel, codes, rows.menge)

    # everything else over the recent rows (a tail's older rows only count for their type)
    recent = np.flatnonzero(rows.recent)
    artikel = rows.artikel[recent]
    position = _positions(_run_starts(artikel))
    ordinal = rows.first_seen[recent] + position
    wall = rows.wall[recent]
    gap = rows.gap[recent].copy()
    computed = np.flatnonzero(rows.own[recent] & (position > 0))
    gap[computed] = _gap_hours(wall[computed], wall[computed - 1])

    wanted = rows.own[recent] & (ordinal >= WARMUP)
    if judge is not None:
        asked = np.zeros(n, bool)
        asked[own_index[judge]] = True
        wanted &= asked[recent]
    at = np.flatnonzero(wanted)
    # min(ordinal, RECENT) when the rows are complete; never reaching before the artikel's first row
    size = np.minimum(np.minimum(ordinal[at], RECENT), position[at])

    recent_median, count = _medians(_window(rows.menge[recent], at, size, RECENT))
    gap_median, gap_count = _medians(_window(gap, at, size, RECENT))
    hour, weekday = hour_and_weekday(wall)
    hour_counts = _prefix(hour, 24)
    weekday_counts = _prefix(weekday, 7)
    inventur_counts = np.r_[0, np.cumsum(inventur[recent])]

    index = recent[at]
    usual = np.where(same_count[index] >= SAME_TYPE_MINIMUM, same_median[index], recent_median)
    menge = rows.menge[index]
    ratio = np.ones(len(at))
    proper = (usual != 0) & (menge > 0)
    ratio[proper] = menge[proper] / usual[proper]
    nearest = _nearest_hours(hour_counts[at] - hour_counts[at - size], hour[at])
    same_weekday = (weekday_counts[at] - weekday_counts[at - size])[np.arange(len(at)), weekday[at]]
    inventur_share = (inventur_counts[at] - inventur_counts[at - size]) / count
    gap_ratio = np.ones(len(at))
    with_gaps = gap_count > 0
    gap_ratio[with_gaps] = gap[at][with_gaps] / gap_median[with_gaps]

    vectors = np.zeros((n, 5))
    vectors[index] = np.column_stack(
        [
            _beyond(_log(ratio), USUAL_QUANTITY_BAND),
            np.maximum(0.0, (nearest - 1).astype(float)),
            np.maximum(0.0, USUAL_WEEKDAY_SHARE - same_weekday / count) / USUAL_WEEKDAY_SHARE,
            np.maximum(0.0, inventur_share - USUAL_INVENTUR_SHARE),
            np.where(with_gaps, _beyond(_log(gap_ratio), USUAL_GAP_BAND), 0.0),
        ]
    )
    judged = np.zeros(n, bool)
    judged[index] = True
    tails_after = {a: _tail(rows, recent, gap, ordinal, same_after, a) for a in keep}
    return Chunk(vectors[own_index], judged[own_index], {a: t for a, t in tails_after.items() if t is not None})


def _same_type_medians(
    artikel: np.ndarray, codes: np.ndarray, menge: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row the median of the (up to PER_TYPE) quantities of its type before it, their count,
    and how many rows of its artikel and type come after it (for the tails)."""
    order = np.lexsort((np.arange(len(artikel)), codes, artikel))
    starts = _run_starts(artikel[order], codes[order])
    position = _positions(starts)
    run = np.cumsum(starts) - 1
    after = np.bincount(run)[run] - 1 - position
    medians, counts = _medians(_window(menge[order], np.arange(len(order)), np.minimum(position, PER_TYPE), PER_TYPE))
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return medians[back], counts[back], after[back]


def _tail(
    rows: _Rows, recent: np.ndarray, gap: np.ndarray, ordinal: np.ndarray, same_after: np.ndarray, artikel_id: int
) -> Tail | None:
    """``artikel_id``'s tail after the chunk (None when it has no rows here)."""
    low, high = _span(rows.artikel[recent], artikel_id)
    if low == high:
        return None
    last = np.arange(max(low, high - RECENT), high)
    kept = recent[last]
    first = _span(rows.artikel, artikel_id)[0]
    # before the recent rows: those still among the last PER_TYPE quantities of their type
    older = first + np.flatnonzero(same_after[first : kept[0]] < PER_TYPE)
    chosen = np.r_[older, kept]
    return Tail(
        seen=int(ordinal[high - 1]) + 1,
        older=len(older),
        typ=tuple(rows.typ[i] for i in chosen.tolist()),
        menge=rows.menge[chosen],
        wall=rows.wall[chosen],
        gap=np.r_[np.full(len(older), NO_GAP), gap[last]],
    )


def tail_of(history: History, zone: tzinfo) -> Tail | None:
    """The tail an artikel has after its ``history`` (None for none)."""
    movements = history.movements
    if not movements:
        return None
    wall = wall_micros([m.created_at for m in movements], zone)
    start = len(movements) - min(history.seen, RECENT, len(movements))
    rows = np.arange(start, len(movements))
    gap = np.full(len(rows), NO_GAP)
    # the history's first movement has no gap (the last RECENT + 1 are all there)
    later = rows > 0
    gap[later] = _gap_hours(wall[rows[later]], wall[rows[later] - 1])
    counts: dict[str, int] = {}
    for movement in movements[start:]:
        counts[movement.typ] = counts.get(movement.typ, 0) + 1
    older = []
    for index in range(start - 1, -1, -1):  # the newest first: the last PER_TYPE of each type
        typ = movements[index].typ
        if counts.get(typ, 0) < PER_TYPE:
            counts[typ] = counts.get(typ, 0) + 1
            older.append(index)
    chosen = [*reversed(older), *rows.tolist()]
    return Tail(
        seen=history.seen,
        older=len(older),
        typ=tuple(movements[i].typ for i in chosen),
        menge=np.fromiter((float(movements[i].menge) for i in chosen), dtype=float, count=len(chosen)),
        wall=wall[chosen],
        gap=np.r_[np.full(len(older), NO_GAP), gap],
    )
