"""Every SELECT of the anomaly plugin: its own tables, the movement ledger (lager, which it
requires) and, while monitoring serves, monitoring's persisted route windows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Row, Table, cast, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import NotFound, PageRequest
from modular_server.plugins.anomaly.features import HISTORY, PER_TYPE, RECENT, History, Movement
from modular_server.plugins.anomaly.models import JOB_ACTIVE, Anomaly, AnomalyJob, AnomalyModel, ScoringPosition
from modular_server.plugins.artikel.offers import ARTIKEL
from modular_server.plugins.lager.offers import LAGERBEWEGUNG

ANOMALIES_CURSOR = "anomalies"
JOBS_CURSOR = "anomaly-jobs"
#: a movement with the kategorie of its artikel (None: no kategorie)
Scoped = tuple[Movement, str | None]


async def anomalies_page(
    session: AsyncSession,
    page: PageRequest,
    *,
    kind: str | None = None,
    artikel_id: int | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    min_score: float | None = None,
) -> tuple[list[Anomaly], str | None]:
    """Newest first (keyset on id descending)."""
    stmt = select(Anomaly).order_by(Anomaly.id.desc())
    if kind is not None:
        stmt = stmt.where(Anomaly.kind == kind)
    if artikel_id is not None:
        stmt = stmt.where(Anomaly.artikel_id == artikel_id)
    if status is not None:
        stmt = stmt.where(Anomaly.status == status)
    if since is not None:
        stmt = stmt.where(Anomaly.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(Anomaly.occurred_at < until)
    if min_score is not None:
        stmt = stmt.where(Anomaly.score >= min_score)
    after = page.after(ANOMALIES_CURSOR)
    if after is not None:
        stmt = stmt.where(Anomaly.id < after[0])
    rows = (await session.scalars(stmt.limit(page.limit + 1))).all()
    return page.page(ANOMALIES_CURSOR, rows, lambda a: (a.id,))


async def get_anomaly(session: AsyncSession, anomaly_id: int) -> Anomaly:
    found = await session.get(Anomaly, anomaly_id)
    if found is None:
        raise NotFound("anomaly", anomaly_id)
    return found


async def models(session: AsyncSession) -> Sequence[AnomalyModel]:
    return (await session.scalars(select(AnomalyModel).order_by(AnomalyModel.kind, AnomalyModel.key))).all()


async def model_files(session: AsyncSession) -> dict[str, str]:
    """key -> file of every trained model (the file name changes with each training)."""
    rows = await session.execute(select(AnomalyModel.key, AnomalyModel.file))
    return {key: file for key, file in rows}


async def position(session: AsyncSession, name: str) -> int:
    found = await session.scalar(select(ScoringPosition.position).where(ScoringPosition.name == name))
    return int(found or 0)


async def confirmed_movements(session: AsyncSession) -> set[int]:
    """Movements confirmed as anomalies: training leaves them out."""
    rows = await session.scalars(
        select(Anomaly.bewegung_id).where(Anomaly.status == "bestaetigt", Anomaly.bewegung_id.is_not(None))
    )
    return {int(r) for r in rows}


def _menge() -> Any:
    # features need a float; the driver's Decimal would cost more than the rest of the row
    return cast(LAGERBEWEGUNG.c.menge, Float).label("menge")


def _scoped() -> Any:
    return select(
        LAGERBEWEGUNG.c.id,
        LAGERBEWEGUNG.c.artikel_id,
        LAGERBEWEGUNG.c.typ,
        _menge(),
        LAGERBEWEGUNG.c.created_at,
        ARTIKEL.c.kategorie,
    ).join(ARTIKEL, ARTIKEL.c.id == LAGERBEWEGUNG.c.artikel_id)


def _as_scoped(row: Row[Any]) -> Scoped:
    return Movement(row.id, row.artikel_id, row.typ, row.menge, row.created_at), row.kategorie


async def training_movements(session: AsyncSession, since: datetime, limit: int) -> list[Scoped]:
    """The newest ``limit`` movements since ``since``, ordered by (artikel, id)."""
    rows = await session.execute(
        _scoped().where(LAGERBEWEGUNG.c.created_at >= since).order_by(LAGERBEWEGUNG.c.id.desc()).limit(limit)
    )
    found = [_as_scoped(r) for r in rows]
    found.sort(key=lambda s: (s[0].artikel_id, s[0].id))
    return found


async def movements_to_score(
    session: AsyncSession, after_id: int, upto: int | None, late: Sequence[int], limit: int
) -> list[Scoped]:
    """Movements with ``after_id < id (<= upto)``, plus ``late`` ones (committed after a higher id was scored)."""
    window = LAGERBEWEGUNG.c.id > after_id
    if upto is not None:
        window = window & (LAGERBEWEGUNG.c.id <= upto)
    condition = or_(window, LAGERBEWEGUNG.c.id.in_(late)) if late else window
    rows = await session.execute(_scoped().where(condition).order_by(LAGERBEWEGUNG.c.id).limit(limit))
    return [_as_scoped(r) for r in rows]


def _movement_columns() -> Any:
    c = LAGERBEWEGUNG.c
    return select(c.id, c.artikel_id, c.typ, _menge(), c.created_at)


async def recent_history(session: AsyncSession, artikel_ids: Sequence[int], before_id: int) -> dict[int, History]:
    """Per artikel its last HISTORY movements before ``before_id``, in one statement: how many
    there are, and of them only those the features need (``History``), oldest first.

    A per-artikel lower bound (the HISTORY-th id below ``before_id``, one index probe each) keeps
    the join to index ranges of (artikel_id, id) - works on SQLite (3.35+) and PostgreSQL alike.
    Window functions pick the last RECENT + 1 and the last PER_TYPE of each type in the
    database: a fifth of the rows reach Python.
    """
    if not artikel_ids:
        return {}
    older = LAGERBEWEGUNG.alias("older")
    lowest = (
        select(older.c.id)
        .where(older.c.artikel_id == ARTIKEL.c.id, older.c.id < before_id)
        .order_by(older.c.id.desc())
        .limit(1)
        .offset(HISTORY - 1)
        .scalar_subquery()
    )
    bounds = (
        select(ARTIKEL.c.id.label("artikel_id"), func.coalesce(lowest, 0).label("low"))
        .where(ARTIKEL.c.id.in_(sorted(set(artikel_ids))))
        .cte("bounds")
        # each bound computed once per artikel: inlined, PostgreSQL would run the subquery per ledger row
        .prefix_with("MATERIALIZED")
    )
    c = LAGERBEWEGUNG.c
    newest_first = c.id.desc()
    ranked = (
        _movement_columns()
        .add_columns(
            func.row_number().over(partition_by=c.artikel_id, order_by=newest_first).label("back"),
            func.row_number().over(partition_by=(c.artikel_id, c.typ), order_by=newest_first).label("back_of_type"),
            func.count().over(partition_by=c.artikel_id).label("seen"),
        )
        .join(bounds, bounds.c.artikel_id == c.artikel_id)
        .where(c.id >= bounds.c.low, c.id < before_id)
        .subquery("ranked")
    )
    r = ranked.c
    rows = await session.execute(
        select(r.id, r.artikel_id, r.typ, r.menge, r.created_at, r.seen)
        .where(or_(r.back <= RECENT + 1, r.back_of_type <= PER_TYPE))
        .order_by(r.artikel_id, r.id)
    )
    found: dict[int, History] = {}
    for row in rows:
        history = found.get(row.artikel_id)
        if history is None:
            history = found[row.artikel_id] = History(int(row.seen), [])
        history.movements.append(Movement(row.id, row.artikel_id, row.typ, row.menge, row.created_at))
    return found


async def kategorien(session: AsyncSession) -> dict[int, str | None]:
    """artikel id -> kategorie of every artikel."""
    rows = await session.execute(select(ARTIKEL.c.id, ARTIKEL.c.kategorie))
    return {artikel_id: kategorie for artikel_id, kategorie in rows}


async def movements_by_artikel(
    session: AsyncSession, after: tuple[int, int] | None, upto: int, limit: int
) -> list[Movement]:
    """The next ``limit`` movements with ``id <= upto`` in (artikel_id, id) order, after the key
    ``after`` (keyset on the ledger's (artikel_id, id) index)."""
    c = LAGERBEWEGUNG.c
    stmt = _movement_columns().where(c.id <= upto)
    if after is not None:
        stmt = stmt.where(tuple_(c.artikel_id, c.id) > tuple_(*after))
    rows = await session.execute(stmt.order_by(c.artikel_id, c.id).limit(limit))
    return [Movement(*row) for row in rows]


async def newest_movement(session: AsyncSession) -> int:
    """The highest movement id (0: none), read from the primary key's index."""
    return int(await session.scalar(select(func.max(LAGERBEWEGUNG.c.id))) or 0)


async def count_movements(session: AsyncSession, upto: int) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(LAGERBEWEGUNG).where(LAGERBEWEGUNG.c.id <= upto)) or 0
    )


# --- jobs ----------------------------------------------------------------------------------


async def get_job(session: AsyncSession, job_id: int) -> AnomalyJob:
    found = await session.get(AnomalyJob, job_id)
    if found is None:
        raise NotFound("job", job_id)
    return found


async def active_jobs(session: AsyncSession) -> Sequence[AnomalyJob]:
    return (await session.scalars(select(AnomalyJob).where(AnomalyJob.status.in_(JOB_ACTIVE)))).all()


async def jobs_page(session: AsyncSession, page: PageRequest) -> tuple[list[AnomalyJob], str | None]:
    """Newest first (keyset on id descending)."""
    stmt = select(AnomalyJob).order_by(AnomalyJob.id.desc())
    after = page.after(JOBS_CURSOR)
    if after is not None:
        stmt = stmt.where(AnomalyJob.id < after[0])
    rows = (await session.scalars(stmt.limit(page.limit + 1))).all()
    return page.page(JOBS_CURSOR, rows, lambda j: (j.id,))


async def route_windows(session: AsyncSession, windows: Table, after: datetime, until: datetime) -> Sequence[Row[Any]]:
    """monitoring's per-worker window rows with ``after < bucket_start <= until``."""
    c = windows.c
    rows = await session.execute(
        select(c.bucket_start, c.method, c.route, c.requests, c.statements, c.server_errors, c.latency)
        .where(c.bucket_start > after, c.bucket_start <= until)
        .order_by(c.bucket_start)
    )
    return rows.all()
