"""The plugin's runtime object (``host_of(app).data["anomaly"]``): the scoring queue and
its worker, training jobs (on demand and on a schedule) and the performance scoring loop.

Everything CPU-bound (features, fitting, scoring) runs in a worker thread in bounded pieces
(one model, one chunk), so the event loop keeps serving requests while a model trains, and a
shutdown cancels a job between two pieces instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Table

from modular_server.plugin import Base, Conflict, Periodic, host_of
from modular_server.plugins.anomaly import detector, features, featurize, jobs, performance, queries, scoring, service
from modular_server.plugins.anomaly.features import Movement
from modular_server.plugins.anomaly.featurize import Tail
from modular_server.plugins.anomaly.jobs import JobProgress
from modular_server.plugins.anomaly.service import Finding, ModelRecord

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncSession

    from modular_server.plugin import Change
    from modular_server.plugins.anomaly.detector import Trained
    from modular_server.plugins.anomaly.models import AnomalyJob
    from modular_server.plugins.anomaly.settings import AnomalySettings

log = logging.getLogger("modular_server.anomaly")

MOVEMENTS = "lagerbewegung"
PERFORMANCE = "performance"
#: new movements scored per round of the scoring loop (more wait for the next round)
CHUNK = 5000
#: movements per chunk of a rescore: one scoring call per model per chunk. Larger chunks mean
#: fewer tree calls, each of which hands the interpreter lock to the event loop and waits to get
#: it back (at scale 10, 25,000 rescored 10-15 % faster than 10,000); the event loop converts a
#: chunk's rows in one go, so much larger ones would hold up requests longer
RESCORE_CHUNK = 25_000
#: movements whose features are computed in one worker-thread call while training
FEATURE_SLICE = 20_000
#: share of a rescoring job's progress that training stands for
TRAINING_SHARE = 0.2


class AnomalyRuntime:
    def __init__(self, app: FastAPI, settings: AnomalySettings) -> None:
        self.app = app
        self.settings = settings
        self.db = app.state.db
        # datetime.UTC itself: converting the ledger's UTC times to it is free
        self.zone: tzinfo = UTC if settings.timezone == "UTC" else ZoneInfo(settings.timezone)
        self.directory: Path = app.state.settings.data_dir / "anomaly"
        #: committed movement ids to score (None: a bulk insert - score everything new)
        self.queue: asyncio.Queue[int | None] = asyncio.Queue()
        self.models: dict[str, Trained] = {}
        self.last_error: str | None = None
        #: who runs this process's jobs (host:pid:token), stored on each job it creates
        self.owner = jobs.owner_id()
        self._stale_after = timedelta(seconds=settings.job_stale_seconds)
        self._files: dict[str, str] = {}
        self._training = asyncio.Lock()
        self._scoring = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._jobs: set[asyncio.Task[None]] = set()
        self._periodic = self._periodic_jobs()
        #: live scoring: each recently booked artikel's tail through ``_activities_through``
        #: (the position this runtime scored up to itself; any gap - another worker scored, a
        #: late commit, a failed round - empties it, and histories are read again)
        self._activities: OrderedDict[int, Tail] = OrderedDict()
        self._activities_through: int | None = None

    # --- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        orphans = await jobs.interrupt_orphans(self.db, self._stale_after)
        if orphans:
            log.warning("anomaly: jobs %s were left running by a process that is gone; marked interrupted", orphans)
        # own context: background statements are never attributed to a request
        self._tasks = [asyncio.get_running_loop().create_task(self._score_queued(), context=contextvars.Context())]
        for periodic in self._periodic:
            periodic.start()
        self.queue.put_nowait(None)  # catch up with what was booked while the server was down

    async def stop(self) -> None:
        """Cancel the background work; a running job is marked ``interrupted`` on its way out.

        Nothing else to persist: the scoring position is stored, unscored movements are picked
        up at the next start."""
        running = [*self._tasks, *self._jobs]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, *(periodic.stop() for periodic in self._periodic), return_exceptions=True)

    def _periodic_jobs(self) -> list[Periodic]:
        jobs: list[tuple[float, Callable[[], Awaitable[Any]]]] = [
            (self.settings.performance_interval_seconds, self.score_performance)
        ]
        if self.settings.training_interval_hours:
            jobs.append((self.settings.training_interval_hours * 3600, self._scheduled_training))
        return [
            Periodic(
                seconds,
                job,
                name=job.__name__,
                plugin="anomaly",
                on_failure=functools.partial(self._failed_quietly, job.__name__),
                host=host_of(self.app),
            )
            for seconds, job in jobs
        ]

    def _failed_quietly(self, what: str, exc: Exception) -> None:
        """A periodic job's failure (the loop has logged it already)."""
        self.last_error = f"{what}: {type(exc).__name__}: {exc}"

    def _failed(self, what: str, exc: Exception) -> None:
        self.last_error = f"{what}: {type(exc).__name__}: {exc}"
        log.exception("anomaly: %s failed", what)

    # --- jobs ------------------------------------------------------------------------------

    async def submit(self, *, rescore: bool, requested_by: str | None) -> AnomalyJob:
        """Create a training job and start it in the background (409 while another is active)."""
        job = await jobs.create(
            self.db, rescore=rescore, requested_by=requested_by, owner=self.owner, stale_after=self._stale_after
        )
        task = asyncio.get_running_loop().create_task(self._run(job.id, rescore), context=contextvars.Context())
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)
        return job

    async def jobs_done(self) -> None:
        """Wait until the jobs this process runs have ended (tests, CLI)."""
        while self._jobs:
            await asyncio.gather(*self._jobs, return_exceptions=True)

    async def _scheduled_training(self) -> None:
        try:
            await self.submit(rescore=False, requested_by="schedule")
        except Conflict:
            log.info("anomaly: scheduled training skipped, a job is active")
            return
        await self.jobs_done()

    async def _run(self, job_id: int, rescore: bool) -> None:
        progress = JobProgress(job_id)
        status, error = "failed", None
        beating: asyncio.Task[None] | None = None
        try:
            if not await jobs.begin(self.db, job_id):
                status = "interrupted"  # no longer queued: marked so meanwhile (finish changes nothing)
                return
            beating = asyncio.get_running_loop().create_task(self._beat(progress))
            await self._train(progress, rescore=rescore)
            status = "succeeded"
        except asyncio.CancelledError:
            status, error = "interrupted", "the server shut down while the job ran; start it again"
            raise
        except Exception as exc:
            self._failed("training", exc)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            if beating is not None:
                beating.cancel()
            if status == "succeeded":
                progress.phase, progress.progress = "done", 1.0
            await jobs.finish(self.db, progress, status, error)  # a job not begun ends too (queued -> *)
            log.info("anomaly: job %d %s (%s)", job_id, status, progress.values())

    async def _beat(self, progress: JobProgress) -> None:
        while True:
            await asyncio.sleep(self.settings.job_heartbeat_seconds)
            try:
                await jobs.beat(self.db, progress)
            except Exception as exc:  # the next beat tries again; a long silence marks the job interrupted
                log.warning("anomaly: heartbeat of job %d failed: %s", progress.job_id, exc)

    # --- scoring new movements -------------------------------------------------------------

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
            try:
                if self.settings.scoring_delay_seconds:
                    # a burst of bookings becomes one round, not one round per booking
                    await asyncio.sleep(self.settings.scoring_delay_seconds)
                while not self.queue.empty():
                    taken.append(self.queue.get_nowait())
                await self.score_new([i for i in taken if i is not None])
                self.last_error = None
            except Exception as exc:  # the position did not move: the next round tries again
                self._failed("scoring", exc)
            finally:
                for _ in taken:
                    self.queue.task_done()

    async def score_new(self, noticed: Sequence[int] = ()) -> int:
        """Score movements after the stored position (and ``noticed`` ones that committed late),
        up to CHUNK a round; returns the new anomalies.

        Per round: one SELECT of the new movements, one of the histories of the artikel not in
        the activity cache, one scoring call per model, multi-row INSERTs."""
        async with self._scoring:
            async with self.db.session() as session:
                after = await queries.position(session, MOVEMENTS)
            late = [i for i in noticed if i <= after]
            new = 0
            while True:
                await self._load_models()
                models = dict(self.models)
                if not models:
                    # nothing can judge them: pass the new movements without reading them (a
                    # fresh server on a full ledger used to read it all, row by row, for nothing)
                    await self._pass_unjudged()
                    return new
                if self._activities_through != after or late:
                    self._activities.clear()
                self._activities_through = None  # until this round is stored
                async with self.db.session() as session:
                    batch = await queries.movements_to_score(session, after, None, late, CHUNK)
                    missing = {m.artikel_id for m, _ in batch} - self._activities.keys()
                    histories = (
                        await queries.recent_history(session, list(missing), min(m.id for m, _ in batch))
                        if missing
                        else {}
                    )
                if not batch:
                    self._activities_through = after
                    return new
                verdict = await asyncio.to_thread(self._judge_new, models, histories, batch)
                top = max(movement.id for movement, _ in batch)

                async def work(
                    session: AsyncSession, findings: list[Finding] = verdict.findings, top: int = top
                ) -> int:
                    stored = await service.store_findings(session, findings)
                    await service.advance(session, MOVEMENTS, top)
                    return stored

                new += await self.db.transaction(work)
                after, late = max(after, top), []
                self._activities_through = after
                if len(batch) < CHUNK:
                    return new

    async def _pass_unjudged(self) -> None:
        """Without models, the scoring position moves to the newest movement in one transaction."""
        self._activities.clear()
        self._activities_through = None

        async def work(session: AsyncSession) -> None:
            await service.advance(session, MOVEMENTS, await queries.newest_movement(session))

        await self.db.transaction(work)

    def _judge_new(
        self,
        models: dict[str, Trained],
        histories: dict[int, features.History],
        batch: Sequence[queries.Scoped],
    ) -> scoring.Verdict:
        keep = self.settings.scoring_cache_artikel
        vectors = scoring.vectors_of_new(self._activities, histories, batch, self.zone, keep)
        return scoring.judge(models, vectors, self.zone)

    async def rescore(self, progress: JobProgress | None = None) -> int:
        """Score every movement booked before the job started again with the current models
        (anomalies stored before are kept), then move the scoring position past them; returns
        the new anomalies.

        Up to the newest movement, not only the scoring position: movements live scoring had
        not reached yet (it waits ``scoring_delay_seconds``, and passes movements unjudged
        while there is no model) were judged by neither when the job read the position first.

        Reads the ledger in (artikel_id, id) order, RESCORE_CHUNK movements at a time (keyset),
        carrying the activity of the artikel a chunk ends in, so no movement needs its history
        read again; each chunk is one scoring call per model and a few multi-row INSERTs.
        """
        progress = progress or JobProgress(0)
        await self._load_models()
        models = dict(self.models)
        async with self.db.session() as session:
            upto = await queries.newest_movement(session)
            total = await queries.count_movements(session, upto)
            kategorien = await queries.kategorien(session)
        stream = scoring.Stream(self.zone)
        start = progress.progress
        new = 0
        # the next chunk is read while the worker thread judges this one
        reading = asyncio.create_task(self._rescore_chunk(None, upto)) if models else None
        try:
            while reading is not None:
                chunk = await reading
                reading = None
                if not chunk:
                    break
                if len(chunk) == RESCORE_CHUNK:
                    reading = asyncio.create_task(self._rescore_chunk((chunk[-1].artikel_id, chunk[-1].id), upto))
                verdict = await asyncio.to_thread(self._judge_chunk, models, stream, chunk, kategorien)
                found = await self.db.transaction(
                    lambda session, findings=verdict.findings: service.store_findings(session, findings)
                )
                new += found
                progress.movements_seen += len(chunk)
                progress.movements_scored += verdict.scored
                progress.anomalies_found += found
                progress.progress = start + (1 - start) * min(1.0, progress.movements_seen / max(total, 1))
        finally:
            if reading is not None:
                reading.cancel()
        if models:
            await self.db.transaction(lambda session: service.advance(session, MOVEMENTS, upto))
        return new

    async def _rescore_chunk(self, after: tuple[int, int] | None, upto: int) -> list[Movement]:
        async with self.db.session() as session:
            return await queries.movements_by_artikel(session, after, upto, RESCORE_CHUNK)

    def _judge_chunk(
        self,
        models: dict[str, Trained],
        stream: scoring.Stream,
        chunk: Sequence[Movement],
        kategorien: dict[int, str | None],
    ) -> scoring.Verdict:
        return scoring.judge(models, stream.vectors(chunk, kategorien), self.zone)

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

    async def _train(self, progress: JobProgress, *, rescore: bool) -> None:
        share = TRAINING_SHARE if rescore else 1.0
        async with self._training:
            now = datetime.now(UTC)
            since = now - timedelta(days=self.settings.history_days)
            async with self.db.session() as session:
                rows = await queries.training_movements(session, since, self.settings.max_training_rows)
                confirmed = await queries.confirmed_movements(session)
            progress.progress = 0.1 * share
            stock = await self._fit_stock(rows, confirmed, now, progress, share)
            trained = [("stock", stock)]
            windows = self._windows_table()
            if windows is not None:
                async with self.db.session() as session:
                    window_rows = await queries.route_windows(session, windows, since, now)
                fitted = await asyncio.to_thread(self._fit_performance, window_rows, now)
                trained.append((PERFORMANCE, [fitted] if fitted else []))
            # With rescore, live scoring waits from the models' publication until the job has
            # judged the ledger: it would judge the job's movements with the job's models
            # meanwhile, and the job would report none of those anomalies as found.
            async with self._scoring if rescore else contextlib.nullcontext():
                for kind, models in trained:
                    await self._publish_models(kind, models)
                all_models = [m for _, models in trained for m in models]
                progress.models_trained = len(all_models)
                progress.samples = sum(m.samples for m in all_models)
                progress.progress = share
                self.last_error = None
                await self._load_models()
                log.info("anomaly: trained %d models on %d samples", progress.models_trained, progress.samples)
                if rescore:
                    progress.phase = "rescoring"
                    await self.rescore(progress)

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
        # the models are in memory already: _load_models keeps them instead of reading their files back
        for model, record in zip(models, records, strict=True):
            self.models[model.key], self._files[model.key] = model, record.file

    async def _fit_stock(
        self,
        rows: Sequence[queries.Scoped],
        confirmed: set[int],
        now: datetime,
        progress: JobProgress,
        share: float,
    ) -> list[Trained]:
        """One model per artikel with enough movements, one per kategorie for the others; the
        features are computed FEATURE_SLICE movements and each model fitted in a thread call of its own."""
        sequences: dict[int, list[Movement]] = {}
        kategorie: dict[int, str] = {}
        for movement, kat in rows:
            sequences.setdefault(movement.artikel_id, []).append(movement)
            kategorie[movement.artikel_id] = kat or ""
        groups: dict[str, list[list[float]]] = {}
        piece: list[list[Movement]] = []
        size = 0
        for index, sequence in enumerate(sequences.values(), 1):
            piece.append(sequence)
            size += len(sequence)
            if size >= FEATURE_SLICE or index == len(sequences):
                for artikel_id, vectors in await asyncio.to_thread(self._training_vectors, piece, confirmed):
                    own = len(vectors) >= self.settings.min_samples_artikel
                    key = f"artikel:{artikel_id}" if own else f"kategorie:{kategorie[artikel_id]}"
                    groups.setdefault(key, []).extend(vectors)
                piece, size = [], 0
        wanted = [
            (key, vectors)
            for key, vectors in sorted(groups.items())
            if len(vectors) >= self.settings.min_samples_kategorie or key.startswith("artikel:")
        ]
        fitted = []
        for done, (key, vectors) in enumerate(wanted, 1):
            fitted.append(await asyncio.to_thread(self._fit_one, key, vectors, now))
            progress.progress = share * (0.1 + 0.9 * done / len(wanted))
        return fitted

    def _training_vectors(
        self, sequences: list[list[Movement]], confirmed: set[int]
    ) -> list[tuple[int, list[list[float]]]]:
        """Each artikel's training vectors: its movements past warm-up, but not confirmed anomalies
        (which still count as the history of the movements after them)."""
        movements = [m for sequence in sequences for m in sequence]
        wanted = np.fromiter((m.id not in confirmed for m in movements), dtype=bool, count=len(movements))
        chunk = featurize.features_of(movements, self.zone, judge=wanted)
        found = []
        start = 0
        for sequence in sequences:
            end = start + len(sequence)
            judged = chunk.judged[start:end]
            found.append((sequence[0].artikel_id, chunk.vectors[start:end][judged].tolist()))
            start = end
        return found

    def _fit_one(self, key: str, vectors: list[list[float]], now: datetime) -> Trained:
        return detector.fit(
            key,
            "stock",
            vectors,
            contamination=self.settings.contamination,
            n_estimators=self.settings.n_estimators,
            max_samples=self.settings.max_samples,
            stats=features.training_stats(vectors),
            trained_at=now,
        )

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
