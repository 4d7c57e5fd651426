"""HTTP endpoints of the artikel plugin: /api/v1/einheiten and /api/v1/artikel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import (
    MAX_LIMIT,
    JsonAnswer,
    Page,
    Pagination,
    ReadSession,
    Unprocessable,
    cached,
    nested_rows,
)
from modular_server.plugins.artikel import queries, service
from modular_server.plugins.artikel.schemas import (
    ArtikelIn,
    ArtikelOut,
    ArtikelPatch,
    EinheitIn,
    EinheitOut,
    EinheitPatch,
    Kategorie,
)

router = APIRouter(prefix="/api/v1")

ARTIKEL_TABLES = ("artikel", "einheit")
ARTIKEL_PAGE = Page[ArtikelOut]


def _parse_ids(raw: str | None) -> list[int] | None:
    if raw is None:
        return None
    ids = sorted({int(part) for part in raw.split(",")})
    if len(ids) > MAX_LIMIT:
        raise Unprocessable("query.ids", f"at most {MAX_LIMIT} ids per lookup")
    return ids


# --- einheiten -----------------------------------------------------------------------------


@router.get("/einheiten", tags=["einheiten"], summary="Einheiten (keyset on id)")
@cached(ttl=300, tags=["einheiten"], tables=["einheit"])
async def list_einheiten(
    session: ReadSession, page: Pagination, kategorie: Kategorie | None = None
) -> Page[EinheitOut]:
    rows, cursor = await queries.einheit_page(session, page, kategorie=kategorie)
    return Page(items=[EinheitOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/einheiten", status_code=201, tags=["einheiten"], summary="Create an Einheit")
async def create_einheit(request: Request, body: EinheitIn) -> EinheitOut:
    async def work(session: AsyncSession) -> EinheitOut:
        return EinheitOut.model_validate(await service.create_einheit(session, body))

    return await request.app.state.db.transaction(work)


@router.get("/einheiten/{einheit_id}", tags=["einheiten"], summary="One Einheit")
@cached(ttl=300, tags=["einheit:{einheit_id}"], tables=["einheit"])
async def get_einheit(session: ReadSession, einheit_id: int) -> EinheitOut:
    return EinheitOut.model_validate(await queries.get_einheit(session, einheit_id))


@router.patch("/einheiten/{einheit_id}", tags=["einheiten"], summary="Rename an Einheit")
async def update_einheit(request: Request, einheit_id: int, body: EinheitPatch) -> EinheitOut:
    async def work(session: AsyncSession) -> EinheitOut:
        return EinheitOut.model_validate(await service.update_einheit(session, einheit_id, body))

    return await request.app.state.db.transaction(work)


@router.delete("/einheiten/{einheit_id}", status_code=204, tags=["einheiten"], summary="Delete an unused Einheit")
async def delete_einheit(request: Request, einheit_id: int) -> Response:
    async def work(session: AsyncSession) -> None:
        await service.delete_einheit(session, einheit_id)

    await request.app.state.db.transaction(work)
    return Response(status_code=204)


# --- artikel -------------------------------------------------------------------------------


@router.get(
    "/artikel",
    tags=["artikel"],
    response_model=ARTIKEL_PAGE,
    summary="Artikel: filtered list (keyset on id) or bulk lookup by ids",
)
@cached(ttl=60, tags=["artikel"], tables=ARTIKEL_TABLES)
async def list_artikel(
    session: ReadSession,
    page: Pagination,
    ids: Annotated[
        str | None,
        Query(
            pattern=r"^\d{1,18}(,\d{1,18})*$",
            max_length=10_000,
            description=f"bulk lookup: comma-separated ids (at most {MAX_LIMIT}); all matches in one page",
        ),
    ] = None,
    kategorie: Annotated[str | None, Query(max_length=100)] = None,
    name: Annotated[str | None, Query(max_length=200, description="name prefix (case-sensitive)")] = None,
    nummer: Annotated[str | None, Query(max_length=50)] = None,
    aktiv: bool | None = None,
) -> Response:
    rows, cursor = await queries.artikel_page(
        session, page, ids=_parse_ids(ids), kategorie=kategorie, name=name, nummer=nummer, aktiv=aktiv
    )
    # rows of our own database, in ArtikelOut's order: answered without validating them again
    return JsonAnswer({"items": nested_rows(rows, einheit=queries.LIST_EINHEIT_COLUMNS), "next_cursor": cursor})


@router.post("/artikel", status_code=201, tags=["artikel"], summary="Create an Artikel")
async def create_artikel(request: Request, body: ArtikelIn) -> ArtikelOut:
    async def work(session: AsyncSession) -> ArtikelOut:
        return ArtikelOut.model_validate(await service.create_artikel(session, body))

    return await request.app.state.db.transaction(work)


@router.get("/artikel/{artikel_id}", tags=["artikel"], summary="One Artikel with its Einheit")
@cached(ttl=60, tags=["artikel:{artikel_id}"], tables=ARTIKEL_TABLES)
async def get_artikel(session: ReadSession, artikel_id: int) -> ArtikelOut:
    return ArtikelOut.model_validate(await queries.get_artikel(session, artikel_id))


@router.patch("/artikel/{artikel_id}", tags=["artikel"], summary="Change an Artikel (einheit_id is immutable)")
async def update_artikel(request: Request, artikel_id: int, body: ArtikelPatch) -> ArtikelOut:
    async def work(session: AsyncSession) -> ArtikelOut:
        return ArtikelOut.model_validate(await service.update_artikel(session, artikel_id, body))

    return await request.app.state.db.transaction(work)


@router.delete(
    "/artikel/{artikel_id}",
    status_code=204,
    tags=["artikel"],
    summary="Delete an unreferenced Artikel (409 while referenced: deactivate it instead)",
)
async def delete_artikel(request: Request, artikel_id: int) -> Response:
    async def work(session: AsyncSession) -> None:
        await service.delete_artikel(session, artikel_id)

    await request.app.state.db.transaction(work)
    return Response(status_code=204)
