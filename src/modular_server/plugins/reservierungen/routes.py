"""HTTP endpoints of the reservierungen plugin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import (
    DatabaseDep,
    IdempotencyKey,
    Page,
    Pagination,
    ReadSession,
    cached,
    run_idempotent,
)
from modular_server.plugins.lager.offers import principal_name
from modular_server.plugins.reservierungen import queries, service
from modular_server.plugins.reservierungen.schemas import (
    INT4_MAX,
    AnfrageOut,
    ErfuellenIn,
    ErfuellungOut,
    ReservierungIn,
    ReservierungOut,
    Status,
)

router = APIRouter(prefix="/api/v1/reservierungen", tags=["reservierungen"])
#: a reservierung id (an INTEGER column on PostgreSQL: a larger one cannot exist)
ReservierungId = Annotated[int, Path(gt=0, le=INT4_MAX)]
TABLES = ("lager_chargen_reservierung",)


@router.post(
    "",
    status_code=201,
    response_model=AnfrageOut,
    dependencies=[IdempotencyKey],
    summary="Reserve a charge, or an artikel with FEFO allocation (Idempotency-Key supported)",
)
async def reserve(request: Request, body: ReservierungIn) -> Response:
    async def work(session: AsyncSession) -> AnfrageOut:
        created, angefragt = await service.reserve(session, body, principal_name())
        return AnfrageOut(
            anfrage_id=created[0].anfrage_id,
            angefragt=angefragt,
            reserviert=sum((r.menge for r in created), service.ZERO),
            items=[service.out(r) for r in created],
        )

    return await run_idempotent(request, body, work)


@router.get("", summary="Reservations by referenz, status, artikel, charge (keyset on id)")
@cached(ttl=15, tags=["reservierungen"], tables=TABLES)
async def list_reservierungen(
    db: DatabaseDep,
    session: ReadSession,
    page: Pagination,
    referenz_typ: Annotated[str | None, Query(max_length=50)] = None,
    referenz_id: Annotated[str | None, Query(max_length=100)] = None,
    status: Status | None = None,
    artikel_id: int | None = None,
    charge_id: int | None = None,
    anfrage_id: Annotated[str | None, Query(max_length=36)] = None,
) -> Page[ReservierungOut]:
    rows, cursor = await queries.reservierungen_page(
        session,
        page,
        referenz_typ=referenz_typ,
        referenz_id=referenz_id,
        status=status,
        artikel_id=artikel_id,
        charge_id=charge_id,
        anfrage_id=anfrage_id,
    )
    items = await service.release_overdue_on_read(db, [service.out(r) for r in rows])
    # a row released just now no longer matches a status filter
    return Page(items=[r for r in items if status is None or r.status == status], next_cursor=cursor)


@router.get("/{reservierung_id}", summary="One reservation")
@cached(ttl=15, tags=["reservierung:{reservierung_id}"])
async def get_reservierung(db: DatabaseDep, session: ReadSession, reservierung_id: ReservierungId) -> ReservierungOut:
    found = service.out(await queries.get_reservierung(session, reservierung_id))
    (found,) = await service.release_overdue_on_read(db, [found])
    return found


@router.post(
    "/{reservierung_id}/erfuellen",
    response_model=ErfuellungOut,
    dependencies=[IdempotencyKey],
    summary="Book the outgoing movement and consume the reservation (Idempotency-Key supported)",
)
async def fulfil(request: Request, reservierung_id: ReservierungId, body: ErfuellenIn | None = None) -> Response:
    menge = body.menge if body is not None else None

    async def work(session: AsyncSession) -> ErfuellungOut:
        reservierung, bewegung_id = await service.fulfil(session, reservierung_id, menge, principal_name())
        return ErfuellungOut(reservierung=service.out(reservierung), bewegung_id=bewegung_id)

    return await run_idempotent(request, {"erfuellen": reservierung_id, "menge": menge}, work, status_code=200)


@router.post(
    "/{reservierung_id}/stornieren",
    response_model=ReservierungOut,
    dependencies=[IdempotencyKey],
    summary="Cancel a reservation and release its stock (Idempotency-Key supported)",
)
async def cancel(request: Request, reservierung_id: ReservierungId) -> Response:
    async def work(session: AsyncSession) -> ReservierungOut:
        return service.out(await service.cancel(session, reservierung_id))

    return await run_idempotent(request, {"stornieren": reservierung_id}, work, status_code=200)
