"""The plugin's runtime object (``host_of(app).data["anomaly"]``): the scoring queue and
its worker, training (on demand and on a schedule) and the performance scoring loop.

Everything CPU-bound (features, fitting, scoring) runs in a thread, so the event loop keeps
serving requests while a model trains.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table

from modular_server.plugin import Base, host_of
from modular_server.plugins.anomaly import detector, features, performance, queries, service
from modular_server.plugins.anomaly.detector import Trained
from modular_server.plugins.anomaly.features import Movement
from modular_server.plugins.anomaly.service import Finding, ModelRecord

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncSession

    from modular_server.plugin import Change
    from modular_server.plugins.anomaly.settings import AnomalySettings

log = logging.getLogger("modular_server.anomaly")

MOVEMENTS = "lagerbewegung"
PERFORMANCE = "performance"
CHUNK = 1000


@dataclass(frozen=True, slots=True)
class TrainResult:
    models: int
    samples: int
    #: anomalies found by rescoring past movements (0 without rescore)
    new_anomalies: int


class AnomalyRuntime:
    def __init__(self, app: FastAPI, settings: AnomalySettings) -> None:
        self.app = app
        self.settings = settings
        self.db = app.state.db
        self.zone = ZoneInfo(settings.timezone)
        self.directory: Path = app.state.settings.data_dir / "anomaly"
        #: committed movement ids to score (None: a bulk insert - score everything new)
        self.queue: asyncio.Queue[int | None] = asyncio.Queue()
        self.models: dict[str, Trained] = {}
        self.last_error: str | None = None
        self._files: dict[str, str] = {}
        self._training = asyncio.Lock()
        self._scoring = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    # --- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        jobs: list[Awaitable[None]] = [self._score_queued()]
        if self.settings.training_interval_hours:
            jobs.append(self._every(self.settings.training_interval_hours * 3600, self.train))
        jobs.append(self._every(self.settings.performance_interval_seconds, self.score_performance))
        # own contexts: background statements are never attributed to a request
        self._tasks = [loop.create_task(job, context=contextvars.Context()) for job in jobs]  # type: ignore[arg-type]
        self.queue.put_nowait(None)  # catch up with what was booked while the server was down

    async def stop(self) -> None:
        # nothing to persist: the scoring position is stored, unscored movements are picked up at the next start
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _every(self, seconds: float, job: Callable[[], Awaitable[Any]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception as exc:
                self._failed(getattr(job, "__name__", "job"), exc)

    def _failed(self, what: str, exc: Exception) -> None:
        self.last_error = f"{what}: {type(exc).__name__}: {exc}"
        log.exception("anomaly: %s failed", what)

    # --- scoring movements -----------------------------------------------------------------

    def notice(self, changes: Sequence[Change]) -> None:
        """Called by the observer: O(changes), never waits."""
        for change in changes:
            if change.table == MOVEMENTS and change.op == "insert":
                self.queue.put_nowait(int(change.pk[0]) if change.pk else None)

    async def idle(self) -> None:
        """Wait until every noticed movement has been scored (tests, CLI)."""
        await self.queue.join()

    async def _score_queued(self) -> None:
        while True:
            taken = [await self.queue.get()]
            while not self.queue.empty():
                taken.append(self.queue.get_nowait())
            try:
                await self.score_new([i for i in taken if i is not None])
                self.last_error = None
            except Exception as exc:  # the position did not move: the next round tries again
                self._failed("scoring", exc)
            finally:
                for _ in taken:
                    self.queue.task_done()

    async def score_new(self, noticed: Sequence[int] = ()) -> int:
        """Score movements after the stored position (and ``noticed`` ones that committed late)."""
        async with self._scoring:
            async with self.db.session() as session:
                after = await queries.position(session, MOVEMENTS)
            late = [i for i in noticed if i <= after]
            return await self._score_range(after, None, late, advance=True)

    async def rescore(self) -> int:
        """Score every movement up to the position again (after training; stored ones are kept)."""
        async with self._scoring:
            async with self.db.session() as session:
                upto = await queries.position(session, MOVEMENTS)
            return await self._score_range(0, upto, [], advance=False)

    async def _score_range(self, after: int, upto: int | None, late: list[int], *, advance: bool) -> int:
        new = 0
        while True:
            async with self.db.session() as session:
                batch = await queries.movements_to_score(session, after, upto, late, CHUNK)
            if not batch:
                return new
            findings = await self._judge(batch)
            top = max(movement.id for movement, _ in batch)

            async def work(session: AsyncSession, findings: list[Finding] = findings, top: int = top) -> int:
                stored = await service.store_findings(session, findings)
                if advance:
                    await service.advance(session, MOVEMENTS, top)
                return stored

            new += await self.db.transaction(work)
            after, late = max(after, top), []
            if len(batch) < CHUNK:
                return new

    async def _judge(self, batch: Sequence[queries.Scoped]) -> list[Finding]:
        await self._load_models()
        if not self.models:
            return []
        by_artikel: dict[int, list[queries.Scoped]] = {}
        for scoped in batch:
            by_artikel.setdefault(scoped[0].artikel_id, []).append(scoped)
        findings: list[Finding] = []
        async with self.db.session() as session:
            for artikel_id, items in by_artikel.items():
                model = self.models.get(f"artikel:{artikel_id}") or self.models.get(f"kategorie:{items[0][1] or ''}")
                if model is None:
                    continue
                history = await queries.history_before(session, artikel_id, items[0][0].id)
                findings += await asyncio.to_thread(self._flag, model, history, [m for m, _ in items])
        return findings

    def _flag(self, model: Trained, history: list[Movement], movements: list[Movement]) -> list[Finding]:
        vectors = features.sequence_features(history + movements, self.zone)[len(history) :]
        judged = [(m, v) for m, v in zip(movements, vectors, strict=True) if v is not None]
        if not judged:
            return []
        found = []
        for (movement, vector), score in zip(judged, model.scores([v for _, v in judged]), strict=True):
            if score > model.threshold:
                found.append(
                    Finding(
                        kind="stock",
                        score=score,
                        threshold=model.threshold,
                        model_key=model.key,
                        features=features.as_dict(vector),
                        reason=features.explain(vector, model.stats, movement, self.zone),
                        occurred_at=movement.created_at,
                        artikel_id=movement.artikel_id,
                        bewegung_id=movement.id,
                    )
                )
        return found

    async def _load_models(self) -> None:
        """Keep the in-memory models equal to the stored ones (another worker may have trained)."""
        async with self.db.session() as session:
            files = await queries.model_files(session)
        if files == self._files:
            return
        loaded: dict[str, Trained] = {}
        for key, file in files.items():
            current = self.models.get(key)
            if current is not None and self._files.get(key) == file:
                loaded[key] = current
                continue
            try:
                loaded[key] = await asyncio.to_thread(detector.load, self.directory, file)
            except (OSError, ValueError, EOFError) as exc:
                log.error("anomaly: model %s cannot be loaded from %s: %s", key, self.directory / file, exc)
        self.models, self._files = loaded, files

    # --- training --------------------------------------------------------------------------

    async def train(self, *, rescore: bool = False) -> TrainResult:
        async with self._training:
            now = datetime.now(UTC)
            since = now - timedelta(days=self.settings.history_days)
            async with self.db.session() as session:
                rows = await queries.training_movements(session, since, self.settings.max_training_rows)
                confirmed = await queries.confirmed_movements(session)
            stock = await asyncio.to_thread(self._fit_stock, rows, confirmed, now)
            trained = [(MOVEMENTS, stock)]
            windows = self._windows_table()
            if windows is not None:
                async with self.db.session() as session:
                    window_rows = await queries.route_windows(session, windows, since, now)
                fitted = await asyncio.to_thread(self._fit_performance, window_rows, now)
                trained.append((PERFORMANCE, [fitted] if fitted else []))
            for kind, models in trained:
                await self._publish_models("stock" if kind == MOVEMENTS else PERFORMANCE, models)
            self.last_error = None
        await self._load_models()
        rescored = await self.rescore() if rescore else 0
        all_models = [m for _, models in trained for m in models]
        log.info("anomaly: trained %d models on %d samples", len(all_models), sum(m.samples for m in all_models))
        return TrainResult(len(all_models), sum(m.samples for m in all_models), rescored)

    async def _publish_models(self, kind: str, models: list[Trained]) -> None:
        records = []
        for model in models:
            name = await asyncio.to_thread(detector.save, model, self.directory)
            records.append(
                ModelRecord(
                    key=model.key,
                    kind=kind,
                    file=name,
                    trained_at=model.trained_at,
                    samples=model.samples,
                    contamination=model.contamination,
                    threshold=model.threshold,
                    stats=model.stats,
                )
            )
        old = await self.db.transaction(lambda session: service.replace_models(session, kind, records))
        for name in old:
            (self.directory / name).unlink(missing_ok=True)

    def _fit_stock(self, rows: Sequence[queries.Scoped], confirmed: set[int], now: datetime) -> list[Trained]:
        sequences: dict[int, list[Movement]] = {}
        kategorie: dict[int, str] = {}
        for movement, kat in rows:
            sequences.setdefault(movement.artikel_id, []).append(movement)
            kategorie[movement.artikel_id] = kat or ""
        groups: dict[str, list[list[float]]] = {}
        for artikel_id, sequence in sequences.items():
            vectors = [
                v
                for m, v in zip(sequence, features.sequence_features(sequence, self.zone), strict=True)
                if v is not None and m.id not in confirmed
            ]
            own = len(vectors) >= self.settings.min_samples_artikel
            key = f"artikel:{artikel_id}" if own else f"kategorie:{kategorie[artikel_id]}"
            groups.setdefault(key, []).extend(vectors)
        return [
            detector.fit(
                key,
                "stock",
                vectors,
                contamination=self.settings.contamination,
                n_estimators=self.settings.n_estimators,
                max_samples=self.settings.max_samples,
                stats=features.training_stats(vectors),
                trained_at=now,
            )
            for key, vectors in sorted(groups.items())
            if len(vectors) >= self.settings.min_samples_kategorie or key.startswith("artikel:")
        ]

    # --- performance -----------------------------------------------------------------------

    def _windows_table(self) -> Table | None:
        if not host_of(self.app).is_serving("monitoring"):
            return None
        return Base.metadata.tables.get(performance.WINDOW_TABLE)

    def _fit_performance(self, rows: Sequence[Any], now: datetime) -> Trained | None:
        windows = performance.aggregate(rows, self.settings.performance_min_requests)
        if len(windows) < self.settings.min_samples_performance:
            return None
        medians = performance.route_medians(windows)
        return detector.fit(
            PERFORMANCE,
            PERFORMANCE,
            [performance.features(w, medians) for w in windows],
            contamination=self.settings.contamination,
            n_estimators=self.settings.n_estimators,
            max_samples=self.settings.max_samples,
            stats={"routes": medians},
            trained_at=now,
        )

    async def score_performance(self) -> int:
        """Score the monitoring windows completed since the last run; returns new anomalies."""
        windows_table = self._windows_table()
        if windows_table is None:
            return 0
        await self._load_models()
        model = self.models.get(PERFORMANCE)
        if model is None:
            return 0
        monitoring = host_of(self.app).settings_for("monitoring")
        settle = timedelta(seconds=monitoring.bucket_seconds + monitoring.flush_interval_seconds)
        async with self.db.session() as session:
            after = datetime.fromtimestamp(await queries.position(session, PERFORMANCE), UTC)
            rows = await queries.route_windows(session, windows_table, after, datetime.now(UTC) - settle)
        if not rows:
            return 0
        windows = performance.aggregate(rows, self.settings.performance_min_requests)
        medians = model.stats["routes"]
        vectors = [performance.features(w, medians) for w in windows]
        scores = await asyncio.to_thread(model.scores, vectors) if vectors else []
        findings = [
            Finding(
                kind=PERFORMANCE,
                score=score,
                threshold=model.threshold,
                model_key=model.key,
                features=dict(zip(performance.FEATURES, (round(x, 6) for x in vector), strict=True)),
                reason=performance.explain(window, medians),
                occurred_at=window.start,
                route=window.route,
                window_start=window.start,
            )
            for window, vector, score in zip(windows, vectors, scores, strict=True)
            if score > model.threshold
        ]
        last = max(performance.aggregate(rows, 1), key=lambda w: w.start).start

        async def work(session: AsyncSession) -> int:
            stored = await service.store_findings(session, findings)
            await service.advance(session, PERFORMANCE, int(last.timestamp()))
            return stored

        return await self.db.transaction(work)
