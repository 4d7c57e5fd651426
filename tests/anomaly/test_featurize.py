"""The chunk-wise numpy features equal the movement-by-movement definition, bit for bit, over
generated movement histories: warm-up, rare types, zero and negative gaps, DST changes and
odd UTC offsets, Decimal quantities, naive (SQLite) and aware (PostgreSQL) times - whether
computed whole (training), in chunks with a carried tail (rescoring) or batch by batch with
cached tails or histories (live scoring)."""

from __future__ import annotations

import random
from collections import OrderedDict
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modular_server.plugins.anomaly import featurize, scoring
from modular_server.plugins.anomaly.features import TYPEN, History, Movement, local_time
from modular_server.plugins.anomaly.wallclock import hour_and_weekday, wall_micros
from tests.anomaly.reference_features import sequence_features

ZONES: tuple[tzinfo, ...] = (
    UTC,
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("America/St_Johns"),  # half-hour offset
    ZoneInfo("Australia/Lord_Howe"),  # a half-hour DST shift
    timezone(timedelta(hours=5, minutes=30)),
)
#: the night of Berlin's change to summer time, a few days before and after it
NEAR_DST = datetime(2026, 3, 27, 20, tzinfo=UTC)
#: common types often, rare ones now and then (few same-type predecessors)
TYPE = st.sampled_from(("ausgang",) * 6 + ("eingang",) * 3 + TYPEN)
#: gaps in seconds: zero (booked in one go), short, long, and backwards (ids and times disagree)
STEP = st.one_of(st.just(0), st.integers(0, 900), st.integers(0, 200_000), st.integers(-3_600, 0))
MENGE = st.one_of(st.integers(1, 5_000_000).map(lambda m: Decimal(m).scaleb(-3)), st.sampled_from([Decimal("1.000")]))


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list[Movement], tzinfo]:
    """Movements of a few artikel, interleaved, in id order."""
    zone = draw(st.sampled_from(ZONES))
    naive = draw(st.booleans())
    start = draw(st.sampled_from((NEAR_DST, datetime(2026, 10, 24, 20, tzinfo=UTC), datetime(2026, 4, 5, tzinfo=UTC))))
    artikel_ids = draw(st.lists(st.integers(1, 6), min_size=1, max_size=70 + 90))
    clocks: dict[int, datetime] = {}
    movements = []
    for index, artikel_id in enumerate(artikel_ids, 1):
        at = clocks.get(artikel_id, start) + timedelta(seconds=draw(STEP), microseconds=draw(st.integers(0, 999_999)))
        clocks[artikel_id] = at
        shown = at.replace(tzinfo=None) if naive else at
        movements.append(Movement(index, artikel_id, draw(TYPE), draw(MENGE), shown))
    return movements, zone


def reference(movements: list[Movement], zone: tzinfo) -> dict[int, list[float] | None]:
    by_artikel: dict[int, list[Movement]] = {}
    for movement in movements:
        by_artikel.setdefault(movement.artikel_id, []).append(movement)
    return {
        m.id: v
        for sequence in by_artikel.values()
        for m, v in zip(sequence, sequence_features(sequence, zone), strict=True)
    }


def full_history(movements: list[Movement]) -> History:
    return History(len(movements), movements)


def by_artikel(movements: list[Movement]) -> list[Movement]:
    return sorted(movements, key=lambda m: (m.artikel_id, m.id))


def assert_whole_and_rescored_equal(movements: list[Movement], zone: tzinfo, chunk_size: int) -> None:
    expected = reference(movements, zone)
    ordered = by_artikel(movements)

    whole = featurize.features_of(ordered, zone)
    assert {m.id: whole.vector(i) for i, m in enumerate(ordered)} == expected

    stream = scoring.Stream(zone)
    rescored = {}
    for start in range(0, len(ordered), chunk_size):
        for movement, _, vector in stream.vectors(ordered[start : start + chunk_size], {}):
            rescored[movement.id] = vector
    assert rescored == {i: v for i, v in expected.items() if v is not None}


def assert_live_equal(movements: list[Movement], zone: tzinfo, batch_size: int, keep: int) -> None:
    expected = {i: v for i, v in reference(movements, zone).items() if v is not None}
    tails: OrderedDict[int, featurize.Tail] = OrderedDict()
    live = {}
    for start in range(0, len(movements), batch_size):
        batch = movements[start : start + batch_size]
        first = batch[0].id
        histories = {
            a: full_history([m for m in movements if m.artikel_id == a and m.id < first])
            for a in {m.artikel_id for m in batch}
        }
        for movement, _, vector in scoring.vectors_of_new(tails, histories, [(m, None) for m in batch], zone, keep):
            live[movement.id] = vector
        assert len(tails) <= keep
    assert live == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(), st.integers(1, 60))
def test_chunk_features_equal_the_reference(ledger: tuple[list[Movement], tzinfo], chunk_size: int) -> None:
    assert_whole_and_rescored_equal(*ledger, chunk_size)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(), st.integers(1, 25), st.integers(0, 4))
def test_live_features_equal_the_reference(ledger: tuple[list[Movement], tzinfo], batch_size: int, keep: int) -> None:
    assert_live_equal(*ledger, batch_size, keep)


@pytest.mark.parametrize("zone", ZONES, ids=str)
@pytest.mark.parametrize("seed", [1, 2])
def test_long_histories_equal_the_reference(zone: tzinfo, seed: int) -> None:
    """Hundreds of movements per artikel: windows full, rare types' quantities older than the
    recent movements (carried in tails), many chunk and batch boundaries."""
    rng = random.Random(seed)
    clocks: dict[int, datetime] = {}
    movements = []
    for index in range(1, 1201):
        artikel_id = rng.randrange(1, 4)
        step = rng.choice((0, rng.randrange(900), rng.randrange(200_000), -rng.randrange(3_600)))
        at = clocks.get(artikel_id, NEAR_DST) + timedelta(seconds=step, microseconds=rng.randrange(1_000_000))
        clocks[artikel_id] = at
        typ = rng.choice(("ausgang",) * 12 + ("eingang",) * 5 + TYPEN)
        menge = Decimal(rng.randrange(1, 5_000_000)).scaleb(-3)
        movements.append(Movement(index, artikel_id, typ, menge, at if seed == 1 else at.replace(tzinfo=None)))
    assert_whole_and_rescored_equal(movements, zone, 97)
    assert_live_equal(movements, zone, 40, 2)


def test_judge_leaves_movements_out_but_keeps_them_as_history() -> None:
    at = datetime(2026, 1, 5, 8, tzinfo=UTC)
    movements = [Movement(i, 1, "ausgang", Decimal(i % 3 + 1), at + timedelta(hours=i)) for i in range(1, 40)]
    expected = sequence_features(movements, UTC)
    asked = np.array([i % 2 == 0 for i in range(len(movements))])
    chunk = featurize.features_of(movements, UTC, judge=asked)
    assert [chunk.vector(i) for i in range(len(movements))] == [v if asked[i] else None for i, v in enumerate(expected)]


def test_wall_clock_is_what_local_time_shows_across_dst_changes() -> None:
    # every 7 minutes 13 seconds through both of Berlin's and Lord Howe's changes of 2026
    moments = [
        start + timedelta(seconds=433 * step)
        for start in (
            datetime(2026, 3, 28, 22, tzinfo=UTC),
            datetime(2026, 10, 24, 22, tzinfo=UTC),
            datetime(2026, 4, 4, 12, tzinfo=UTC),
            datetime(2026, 10, 3, 12, tzinfo=UTC),
        )
        for step in range(1000)
    ]
    for zone in ZONES:
        wall = wall_micros(moments, zone)
        hour, weekday = hour_and_weekday(wall)
        local = [local_time(m, zone) for m in moments]
        epoch = datetime(1970, 1, 1)
        assert wall.tolist() == [(t.replace(tzinfo=None) - epoch) // timedelta(microseconds=1) for t in local]
        assert hour.tolist() == [t.hour for t in local]
        assert weekday.tolist() == [t.weekday() for t in local]


def test_no_movements_no_vectors() -> None:
    chunk = featurize.features_of([], UTC, keep=(1,))
    assert chunk.vectors.shape == (0, 5) and chunk.tails == {}
