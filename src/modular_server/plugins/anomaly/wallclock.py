"""Local wall-clock times of many movements at once, as int64 microseconds since 1970-01-01
(local), the numbers the features are computed from.

Wall clock, not elapsed time: the features subtract two local times the way Python subtracts
two datetimes of one zone, which ignores their UTC offsets (across a DST change a gap is an
hour longer or shorter than the time that passed). Offsets are looked up once per hour of UTC
time instead of once per movement: an hour whose start and end have the same offset has it
throughout (zones change their offset at most once within an hour), the few movements of an
hour in which the offset changes are converted one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import numpy as np

from modular_server.plugins.anomaly.features import local_time

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
#: below this many seconds from 1970 a float timestamp times 10**6 rounds to the exact microsecond
_EXACT_SECONDS = 2**52 / 1e6


def utc_micros(moments: Sequence[datetime]) -> np.ndarray:
    """UTC microseconds since the epoch; naive datetimes are UTC already (SQLite stores them so).

    Through ``timestamp()``, a fifth of the cost of numpy's conversion of datetime objects, and
    exact: it is the exact microsecond count divided by 10**6, correctly rounded, so multiplying
    back is off by less than half a microsecond while the count stays below 2**52 (the year
    2112); times beyond that are counted in integers."""
    seconds = np.fromiter(
        (m.timestamp() if m.tzinfo is not None else m.replace(tzinfo=UTC).timestamp() for m in moments),
        dtype=float,
        count=len(moments),
    )
    micros = np.rint(seconds * 1e6).astype(np.int64)
    for row in np.flatnonzero(np.abs(seconds) >= _EXACT_SECONDS).tolist():
        moment = moments[row]
        micros[row] = ((moment if moment.tzinfo else moment.replace(tzinfo=UTC)) - _EPOCH) // _US
    return micros


def _offset_us(utc_us: int, zone: tzinfo) -> int:
    offset = (_EPOCH + timedelta(microseconds=utc_us)).astimezone(zone).utcoffset() or timedelta(0)
    return offset // _US


def wall_micros(moments: Sequence[datetime], zone: tzinfo) -> np.ndarray:
    """Local wall-clock microseconds of ``moments`` in ``zone`` (what ``features.local_time`` shows)."""
    utc = utc_micros(moments)
    if zone is UTC or (isinstance(zone, timezone) and zone.utcoffset(None) == timedelta(0)):
        return utc
    hours, where = np.unique(utc // HOUR_US, return_inverse=True)
    starts = [_offset_us(int(h) * HOUR_US, zone) for h in hours]
    ends = [_offset_us(int(h) * HOUR_US + HOUR_US - 1, zone) for h in hours]
    offsets = np.asarray(starts, dtype=np.int64)[where]
    changing = np.flatnonzero(np.asarray(starts) != np.asarray(ends))
    for row in np.flatnonzero(np.isin(where, changing)):
        local = local_time(moments[row], zone)
        offsets[row] = (local.utcoffset() or timedelta(0)) // _US
    return utc + offsets


def hour_and_weekday(wall_us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local hour (0-23) and weekday (Monday 0) of wall-clock microseconds."""
    hour = (wall_us // HOUR_US) % 24
    # 1970-01-01 was a Thursday (3); floor division keeps times before 1970 right
    weekday = (wall_us // DAY_US + 3) % 7
    return hour.astype(np.intp), weekday.astype(np.intp)
