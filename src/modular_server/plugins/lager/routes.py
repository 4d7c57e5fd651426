"""HTTP endpoints of the lager plugin: Lager, Lagerorte, Bestand, Bewegungen."""

from __future__ import annotations

from datetime import datetime
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
from modular_server.plugins.lager import queries, service
from modular_server.plugins.lager.booking import principal_name
from modular_server.plugins.lager.schemas import (
    BatchOut,
    BestandOut,
    BewegungBatchIn,
    BewegungIn,
    BewegungOut,
    GebuchterTyp,
    LagerIn,
    LagerortIn,
    LagerortOut,
    LagerortPatch,
    LagerOut,
    LagerPatch,
    StornoIn,
)

router = APIRouter(prefix="/api/v1", tags=["lager"])
#: a ledger id (BIGINT on PostgreSQL)
BewegungId = Annotated[int, Path(gt=0, le=2**63 - 1)]
# Cache policy: lists are evicted by any change of their tables; a detail only by its own row
# (changes are reported per row with their foreign keys, ledger rows are filed as `bewegung`).


# --- Lager -----------------------------------------------------------------------------------


@router.get("/lager", summary="Warehouses (keyset on id)")
@cached(ttl=300, tags=["lager"], tables=["lager"])
async def list_lager(session: ReadSession, page: Pagination, aktiv: bool | None = None) -> Page[LagerOut]:
    rows, cursor = await queries.lager_page(session, page, aktiv)
    return Page(items=[LagerOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/lager", status_code=201, summary="Create a warehouse")
async def create_lager(db: DatabaseDep, body: LagerIn) -> LagerOut:
    async def work(session: AsyncSession) -> LagerOut:
        return LagerOut.model_validate(await service.create_lager(session, body))

    return await db.transaction(work)


@router.get("/lager/{lager_id}", summary="One warehouse")
@cached(ttl=300, tags=["lager:{lager_id}"])
async def get_lager(session: ReadSession, lager_id: int) -> LagerOut:
    return LagerOut.model_validate(await queries.get_lager(session, lager_id))


@router.patch("/lager/{lager_id}", summary="Change a warehouse")
async def update_lager(db: DatabaseDep, lager_id: int, body: LagerPatch) -> LagerOut:
    async def work(session: AsyncSession) -> LagerOut:
        return LagerOut.model_validate(await service.update_lager(session, lager_id, body))

    return await db.transaction(work)


@router.delete("/lager/{lager_id}", status_code=204, summary="Delete an unused warehouse (409 while referenced)")
async def delete_lager(db: DatabaseDep, lager_id: int) -> Response:
    await db.transaction(lambda session: service.delete_lager(session, lager_id))
    return Response(status_code=204)


# --- Lagerorte -------------------------------------------------------------------------------


@router.get("/lagerorte", summary="Storage locations (keyset on id)")
@cached(ttl=300, tags=["lagerorte"], tables=["lagerort"])
async def list_lagerorte(
    session: ReadSession, page: Pagination, lager_id: int | None = None, gesperrt: bool | None = None
) -> Page[LagerortOut]:
    rows, cursor = await queries.lagerort_page(session, page, lager_id, gesperrt)
    return Page(items=[LagerortOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/lagerorte", status_code=201, summary="Create a storage location")
async def create_lagerort(db: DatabaseDep, body: LagerortIn) -> LagerortOut:
    async def work(session: AsyncSession) -> LagerortOut:
        return LagerortOut.model_validate(await service.create_lagerort(session, body))

    return await db.transaction(work)


@router.get("/lagerorte/{lagerort_id}", summary="One storage location")
@cached(ttl=300, tags=["lagerort:{lagerort_id}"])
async def get_lagerort(session: ReadSession, lagerort_id: int) -> LagerortOut:
    return LagerortOut.model_validate(await queries.get_lagerort(session, lagerort_id))


@router.patch("/lagerorte/{lagerort_id}", summary="Rename, block or unblock a storage location")
async def update_lagerort(db: DatabaseDep, lagerort_id: int, body: LagerortPatch) -> LagerortOut:
    async def work(session: AsyncSession) -> LagerortOut:
        return LagerortOut.model_validate(await service.update_lagerort(session, lagerort_id, body))

    return await db.transaction(work)


@router.delete("/lagerorte/{lagerort_id}", status_code=204, summary="Delete an unused location (409 while referenced)")
async def delete_lagerort(db: DatabaseDep, lagerort_id: int) -> Response:
    await db.transaction(lambda session: service.delete_lagerort(session, lagerort_id))
    return Response(status_code=204)


# --- Bestand ---------------------------------------------------------------------------------


@router.get("/bestand", summary="Stock balances per artikel, charge and location (the balance table, no ledger sums)")
@cached(ttl=30, tags=["bestand"], tables=["bestand", "lagerort"])
async def list_bestand(
    session: ReadSession,
    page: Pagination,
    artikel_id: int | None = None,
    charge_id: int | None = None,
    lager_id: int | None = None,
    lagerort_id: int | None = None,
    leer: Annotated[bool, Query(description="include rows with menge 0")] = False,
) -> Page[BestandOut]:
    rows, cursor = await queries.bestand_page(
        session, page, artikel_id=artikel_id, charge_id=charge_id, lager_id=lager_id, lagerort_id=lagerort_id, leer=leer
    )
    items = [
        BestandOut(
            id=b.id,
            artikel_id=b.artikel_id,
            charge_id=b.charge_id,
            lagerort_id=b.lagerort_id,
            lager_id=lager,
            menge=b.menge,
            reserviert=b.reserviert,
            verfuegbar=b.menge - b.reserviert,
        )
        for b, lager in rows
    ]
    return Page(items=items, next_cursor=cursor)


# --- Bewegungen ------------------------------------------------------------------------------


@router.post(
    "/bewegungen",
    status_code=201,
    response_model=BewegungOut,
    dependencies=[IdempotencyKey],
    summary="Book one movement (Idempotency-Key supported)",
)
async def book(request: Request, body: BewegungIn) -> Response:
    async def work(session: AsyncSession) -> BewegungOut:
        (movement,) = await service.book(session, [body], principal_name())
        return BewegungOut.model_validate(movement)

    return await run_idempotent(request, body, work)


@router.post(
    "/bewegungen/batch",
    status_code=201,
    response_model=BatchOut,
    dependencies=[IdempotencyKey],
    summary="Book up to 1000 movements, all or nothing (Idempotency-Key supported)",
    description="Refused items are reported all at once, each with its `index` and `field`: "
    "master-data errors and stock shortfalls together; nothing is booked then.",
)
async def book_batch(request: Request, body: BewegungBatchIn) -> Response:
    async def work(session: AsyncSession) -> BatchOut:
        movements = await service.book(session, body.items, principal_name())
        return BatchOut(items=[BewegungOut.model_validate(m) for m in movements])

    return await run_idempotent(request, body, work)


@router.post(
    "/bewegungen/{bewegung_id}/storno",
    status_code=201,
    response_model=BewegungOut,
    dependencies=[IdempotencyKey],
    summary="Reverse a movement (once; Idempotency-Key supported)",
)
async def storno(request: Request, bewegung_id: BewegungId, body: StornoIn | None = None) -> Response:
    bemerkung = body.bemerkung if body is not None else None

    async def work(session: AsyncSession) -> BewegungOut:
        return BewegungOut.model_validate(await service.storno(session, bewegung_id, principal_name(), bemerkung))

    return await run_idempotent(request, {"storno": bewegung_id, "bemerkung": bemerkung}, work)


@router.get("/bewegungen", summary="The ledger, newest first (keyset on id)")
@cached(ttl=30, tags=["bewegungen"], tables=["lagerbewegung"])
async def list_bewegungen(
    session: ReadSession,
    page: Pagination,
    artikel_id: int | None = None,
    charge_id: int | None = None,
    lagerort_id: int | None = None,
    typ: GebuchterTyp | None = None,
    referenz_typ: Annotated[str | None, Query(max_length=50)] = None,
    referenz_id: Annotated[str | None, Query(max_length=100)] = None,
    seit: datetime | None = None,
    bis: datetime | None = None,
) -> Page[BewegungOut]:
    rows, cursor = await queries.bewegungen_page(
        session,
        page,
        artikel_id=artikel_id,
        charge_id=charge_id,
        lagerort_id=lagerort_id,
        typ=typ,
        referenz_typ=referenz_typ,
        referenz_id=referenz_id,
        seit=seit,
        bis=bis,
    )
    return Page(items=[BewegungOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/bewegungen/{bewegung_id}", summary="One movement")
@cached(ttl=3600, tags=["bewegung:{bewegung_id}"])
async def get_bewegung(session: ReadSession, bewegung_id: BewegungId) -> BewegungOut:
    return BewegungOut.model_validate(await queries.get_bewegung(session, bewegung_id))
