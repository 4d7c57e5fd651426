"""Scoring in chunks: the features of a movement are the same however the ledger is cut into
batches, and a round of scoring costs a fixed number of statements, not one per artikel or
per anomaly."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import event, update

from modular_server.plugins.anomaly import featurize, queries, scoring
from modular_server.plugins.anomaly.features import HISTORY, History, Movement
from modular_server.plugins.anomaly.featurize import Tail
from modular_server.plugins.anomaly.models import ScoringPosition
from modular_server.testing import BOTH, RunningApp
from tests.anomaly.support import book, runtime_of, train, warehouse
from tests.support.apps import AppFactory
from tests.support.rows import insert_rows

from .dataset import generate
from .reference_features import sequence_features


def ledger_movements(artikel: int) -> list[Movement]:
    rows = generate(list(range(1, artikel + 1)), 1).rows
    return [Movement(i, r["artikel_id"], r["typ"], r["menge"], r["created_at"]) for i, r in enumerate(rows, 1)]


@contextmanager
def every_statement(running: RunningApp) -> Iterator[list[str]]:
    """The statements the app sends meanwhile, the scoring loop's own (outside requests) too."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    engine = running.app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("zone", [UTC, ZoneInfo("Europe/Berlin")])
def test_features_do_not_depend_on_how_the_ledger_is_cut(zone: ZoneInfo) -> None:
    movements = ledger_movements(3)
    by_artikel: dict[int, list[Movement]] = {}
    for movement in movements:
        by_artikel.setdefault(movement.artikel_id, []).append(movement)
    whole = {m.id: v for seq in by_artikel.values() for m, v in zip(seq, sequence_features(seq, zone), strict=True)}
    expected = {i: v for i, v in whole.items() if v is not None}

    # live scoring: batches of 7 in id order, activities kept, or dropped and warmed up from history
    for keep in (10, 0):
        activities: OrderedDict[int, Tail] = OrderedDict()
        live = {}
        for start in range(0, len(movements), 7):
            batch = movements[start : start + 7]
            histories = {
                a: History(len(h), h)
                for a in {m.artikel_id for m in batch}
                if (h := [m for m in by_artikel[a] if m.id < batch[0].id])
            }
            for movement, _, vector in scoring.vectors_of_new(
                activities, histories, [(m, None) for m in batch], zone, keep
            ):
                live[movement.id] = vector
        assert live == expected

    # rescoring: (artikel_id, id) order in chunks of 50, the last artikel's tail carried over
    stream = scoring.Stream(zone)
    ordered = sorted(movements, key=lambda m: (m.artikel_id, m.id))
    rescored = {}
    for start in range(0, len(ordered), 50):
        for movement, _, vector in stream.vectors(ordered[start : start + 50], {}):
            rescored[movement.id] = vector
    assert rescored == expected


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_scoring_round_costs_a_fixed_number_of_statements(anomaly_app: AppFactory, backend: str) -> None:
    async with anomaly_app() as running:
        artikel_ids, ort = await warehouse(running, ["Obst"] * 6 + ["Werkzeug"] * 6)
        ids = await insert_rows(running, "lagerbewegung", generate(artikel_ids, ort).rows)
        await runtime_of(running).idle()
        job = await train(running)
        assert job["models_trained"] == 2

        async def rewind(session: object) -> None:
            await session.execute(  # type: ignore[attr-defined]
                update(ScoringPosition).where(ScoringPosition.name == "lagerbewegung").values(position=0)
            )

        await running.app.state.db.transaction(rewind)
        with running.count_statements() as sql:
            found = await runtime_of(running).score_new()
        # 1,440 movements of 12 artikel, dozens of anomalies: position, models, movements,
        # histories, one multi-row INSERT, the position twice - not a statement per artikel or anomaly
        assert found >= 20
        statements = [s for s in sql.statements if not s.startswith("BEGIN")]  # SQLite's explicit BEGINs
        assert len(statements) <= 8, statements
        assert len(ids) == 1440

        # the next round finds every artikel's activity in memory: no history is read
        await running.app.state.db.transaction(rewind)
        runtime_of(running)._activities_through = 0  # as if this runtime had scored up to position 0 itself
        runtime_of(running)._activities.clear()
        await runtime_of(running).score_new()
        with every_statement(running) as seen:
            await insert_rows(running, "lagerbewegung", generate(artikel_ids[:2], ort, seed=8).rows[:5])
            await runtime_of(running).idle()
        assert any("FROM lagerbewegung JOIN artikel" in s for s in seen), seen  # the round ran
        assert not any("bounds" in s for s in seen), seen


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_without_models_new_movements_are_passed_without_reading_them(
    anomaly_app: AppFactory, backend: str
) -> None:
    async with anomaly_app() as running:
        artikel_ids, ort = await warehouse(running, ["Obst"] * 3)
        with every_statement(running) as seen:
            ids = await insert_rows(running, "lagerbewegung", generate(artikel_ids, ort).rows)
            await runtime_of(running).idle()
        async with running.app.state.db.session() as session:
            assert await queries.position(session, "lagerbewegung") == max(ids)
        # no model: the movements were not read (a full ledger at the first start cost a walk through it)
        assert not any("FROM lagerbewegung JOIN artikel" in s for s in seen), seen
        assert runtime_of(running).models == {}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_burst_of_bookings_is_scored_in_one_round(anomaly_app: AppFactory, backend: str) -> None:
    """A steady stream of bookings used to cost a scoring round (position, models, a
    transaction) per booking on the server; the delay gathers a burst into one round."""
    async with anomaly_app(scoring_delay_seconds=3) as running:
        artikel_ids, ort = await warehouse(running, ["Obst"] * 3)
        await runtime_of(running).idle()  # the start's catch-up round
        with every_statement(running) as seen:
            booked = [await book(running, artikel_ids[i % 3], ort, "1", datetime.now(UTC)) for i in range(12)]
            await runtime_of(running).idle()
        rounds = [s for s in seen if "FROM anomaly_model" in s]
        assert len(rounds) == 1, rounds
        async with running.app.state.db.session() as session:
            assert await queries.position(session, "lagerbewegung") == max(booked)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_history_read_for_live_scoring_gives_the_tail_of_the_whole_history(
    anomaly_app: AppFactory, backend: str
) -> None:
    """recent_history returns only the rows the features need: the tails built from them equal
    those built from the artikel's last HISTORY movements, all of them."""
    async with anomaly_app() as running:
        artikel_ids, ort = await warehouse(running, ["Obst"] * 3)
        ids = await insert_rows(running, "lagerbewegung", generate(artikel_ids, ort).rows)
        ids += await insert_rows(running, "lagerbewegung", generate(artikel_ids, ort, seed=8).rows)
        zone = ZoneInfo("Europe/Berlin")
        async with running.app.state.db.session() as session:
            for before in (ids[50], ids[400], max(ids) + 1):
                reduced = await queries.recent_history(session, artikel_ids, before)
                every = await queries.movements_by_artikel(session, None, before - 1, 10_000)
                for artikel_id in artikel_ids:
                    whole = [m for m in every if m.artikel_id == artikel_id][-HISTORY:]
                    if not whole:
                        assert artikel_id not in reduced
                        continue
                    assert len(reduced[artikel_id].movements) < len(whole) or len(whole) <= 41
                    expected = featurize.tail_of(History(len(whole), whole), zone)
                    got = featurize.tail_of(reduced[artikel_id], zone)
                    assert expected is not None and got is not None
                    assert (got.seen, got.older, got.typ) == (expected.seen, expected.older, expected.typ)
                    for column in ("menge", "wall", "gap"):
                        assert np.array_equal(getattr(got, column), getattr(expected, column), equal_nan=True)
