"""HTTP endpoints of the chargen plugin: /api/v1/chargen and /api/v1/artikel/{id}/verfuegbarkeit.

Stock and reservation fields are filled while the lager / reservierungen plugins serve
(enrichment), and are null otherwise.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import Page, Pagination, ReadSession, Unprocessable, cached, host_of, requires_scope
from modular_server.plugins.artikel.offers import get_artikel
from modular_server.plugins.chargen import ablauf, queries, service, views
from modular_server.plugins.chargen.schemas import (
    INT4_MAX,
    AblaufMeldenIn,
    AblaufMeldung,
    ChargeDetail,
    ChargeIn,
    ChargeOut,
    ChargePatch,
    HerkunftIn,
    HerkunftOut,
    RueckrufOut,
    Status,
    StatusAenderung,
    VerfolgungOut,
    VerfuegbarkeitOut,
)

router = APIRouter(prefix="/api/v1", tags=["chargen"])
#: a charge id (an INTEGER column on PostgreSQL: a larger one cannot exist)
ChargeId = Annotated[int, Path(gt=0, le=INT4_MAX)]

LIST_TABLES = ("charge", "artikel", "bestand")
DETAIL_TABLES = ("charge", "artikel", "bestand", "lagerort", "lager_chargen_reservierung")
Stichtag = Annotated[date | None, Query(description="compare MHDs with this day instead of today (UTC)")]


@router.get(
    "/chargen", response_model=Page[ChargeOut], summary="Chargen with their artikel and stock totals (keyset on id)"
)
@cached(ttl=30, tags=["chargen"], tables=LIST_TABLES)
async def list_chargen(
    request: Request,
    session: ReadSession,
    page: Pagination,
    artikel_id: int | None = None,
    status: Status | None = None,
    nummer: Annotated[str | None, Query(max_length=50)] = None,
) -> Response:
    bestand = queries.foreign_table(host_of(request), "lager", "bestand")
    rows, cursor = await queries.chargen_page(
        session, page, artikel_id=artikel_id, status=status, nummer=nummer, bestand=bestand
    )
    return views.charge_page(rows, cursor)


@router.post("/chargen", status_code=201, summary="Create a Charge")
async def create_charge(request: Request, body: ChargeIn) -> ChargeOut:
    bestand = queries.foreign_table(host_of(request), "lager", "bestand")

    async def work(session: AsyncSession) -> ChargeOut:
        return views.charge_out(await service.create_charge(session, body, bestand))

    return await request.app.state.db.transaction(work)


@router.get(
    "/chargen/ablaufend",
    response_model=Page[ChargeOut],
    summary="Chargen whose MHD falls within the next `tage` days, soonest first",
)
@cached(ttl=30, tags=["chargen"], tables=LIST_TABLES)
async def list_ablaufend(
    request: Request,
    session: ReadSession,
    page: Pagination,
    stichtag: Stichtag = None,
    tage: Annotated[int, Query(ge=0, le=3650)] = 30,
    abgelaufene: Annotated[bool, Query(description="include batches already past their MHD")] = False,
    status: Status | None = None,
    mit_bestand: Annotated[bool, Query(description="only batches with stock on hand (needs lager)")] = False,
) -> Response:
    von = stichtag or ablauf.heute()
    bestand = queries.foreign_table(host_of(request), "lager", "bestand")
    if mit_bestand and bestand is None:
        raise Unprocessable("query.mit_bestand", "needs the lager plugin, which is not serving")
    rows, cursor = await queries.ablaufend_page(
        session,
        page,
        von=None if abgelaufene else von,
        bis=von + timedelta(days=tage),
        status=status,
        mit_bestand_in=bestand if mit_bestand else None,
        bestand=bestand,
    )
    return views.charge_page(rows, cursor)


@router.post(
    "/chargen/ablaufend/melden",
    summary="Run the expiry check now: one charge.laeuft_ab event per batch",
    description="Takes its options as a JSON body (`tage`, `stichtag`), like `POST /api/v1/notifications/check`; "
    "both may be left out (or the body altogether). The query parameters are deprecated; a value given "
    "both ways must agree.",
)
@requires_scope("admin")
async def melde_ablaufende(
    request: Request,
    body: AblaufMeldenIn | None = None,
    tage: Annotated[int | None, Query(ge=1, le=3650, deprecated=True)] = None,
    stichtag: Annotated[date | None, Query(deprecated=True)] = None,
) -> AblaufMeldung:
    options = body or AblaufMeldenIn()
    for name, old in (("tage", tage), ("stichtag", stichtag)):
        new = getattr(options, name)
        if old is not None and new is not None and old != new:
            raise Unprocessable(f"query.{name}", f"differs from body.{name}; give it in the body only")
    tage = options.tage or tage or host_of(request).settings_for("chargen").ablauf_warnung_tage
    stichtag = options.stichtag or stichtag
    return AblaufMeldung(tage=tage, gemeldet=await ablauf.melde_ablaufende(request.app, tage, stichtag))


@router.get(
    "/chargen/{charge_id}",
    response_model=ChargeDetail,
    summary="One Charge with stock per lagerort and open reservations",
)
@cached(ttl=30, tags=["charge:{charge_id}"], tables=DETAIL_TABLES)
async def get_charge(request: Request, session: ReadSession, charge_id: ChargeId) -> Response:
    host = host_of(request)
    bestand = queries.foreign_table(host, "lager", "bestand")
    lagerort = queries.foreign_table(host, "lager", "lagerort")
    reservierung = queries.foreign_table(host, "reservierungen", "lager_chargen_reservierung")
    if bestand is not None and lagerort is not None:
        rows = await queries.charge_mit_orten(session, bestand, lagerort, charge_id)
    else:  # stock unknown while lager is not serving
        rows = [await queries.read_charge(session, charge_id)]
    offen = None if reservierung is None else await queries.offene_reservierungen(session, reservierung, charge_id)
    return views.charge_detail(rows, offen)


@router.patch("/chargen/{charge_id}", summary="Change a Charge (not its artikel or status)")
async def update_charge(request: Request, charge_id: ChargeId, body: ChargePatch) -> ChargeOut:
    bestand = queries.foreign_table(host_of(request), "lager", "bestand")

    async def work(session: AsyncSession) -> ChargeOut:
        return views.charge_out(await service.update_charge(session, charge_id, body, bestand))

    return await request.app.state.db.transaction(work)


@router.delete("/chargen/{charge_id}", status_code=204, summary="Delete an unreferenced Charge (409 while referenced)")
async def delete_charge(request: Request, charge_id: ChargeId) -> Response:
    async def work(session: AsyncSession) -> None:
        await service.delete_charge(session, charge_id)

    await request.app.state.db.transaction(work)
    return Response(status_code=204)


async def _change_status(request: Request, charge_id: int, action: str, body: StatusAenderung | None) -> ChargeOut:
    grund = body.grund if body else None
    bestand = queries.foreign_table(host_of(request), "lager", "bestand")

    async def work(session: AsyncSession) -> ChargeOut:
        return views.charge_out(await service.change_status(session, charge_id, action, grund, bestand))

    return await request.app.state.db.transaction(work)


@router.post("/chargen/{charge_id}/sperren", summary="Block a free Charge (409 from any other status)")
async def sperren(request: Request, charge_id: ChargeId, body: StatusAenderung | None = None) -> ChargeOut:
    return await _change_status(request, charge_id, "sperren", body)


@router.post("/chargen/{charge_id}/freigeben", summary="Release a blocked Charge (409 from any other status)")
async def freigeben(request: Request, charge_id: ChargeId, body: StatusAenderung | None = None) -> ChargeOut:
    return await _change_status(request, charge_id, "freigeben", body)


@router.post(
    "/chargen/{charge_id}/rueckruf",
    summary="Recall a Charge: returns its open reservations and the outgoing movements that carried it",
)
async def rueckruf(request: Request, charge_id: ChargeId, body: StatusAenderung | None = None) -> RueckrufOut:
    grund = body.grund if body else None

    async def work(session: AsyncSession) -> RueckrufOut:
        return await service.rueckruf(session, host_of(request), charge_id, grund)

    return await request.app.state.db.transaction(work)


@router.get("/chargen/{charge_id}/verfolgung", summary="Trace a Charge backward and forward through its genealogy")
@cached(ttl=60, tags=["charge:{charge_id}"], tables=("charge", "charge_herkunft", "artikel", "bestand"))
async def verfolgung(
    request: Request,
    session: ReadSession,
    charge_id: ChargeId,
    richtung: Literal["beide", "rueckwaerts", "vorwaerts"] = "beide",
    tiefe: Annotated[int | None, Query(ge=1, description="levels each way (default and maximum: settings)")] = None,
) -> VerfolgungOut:
    settings = host_of(request).settings_for("chargen")
    tiefe = tiefe or min(settings.verfolgung_tiefe, settings.verfolgung_max_tiefe)
    if tiefe > settings.verfolgung_max_tiefe:
        raise Unprocessable("query.tiefe", f"at most {settings.verfolgung_max_tiefe}")
    charge = await queries.read_charge(session, charge_id, queries.foreign_table(host_of(request), "lager", "bestand"))
    richtungen = ("rueckwaerts", "vorwaerts") if richtung == "beide" else (richtung,)
    rows = await queries.genealogy_edges(session, charge_id, tiefe, richtungen)
    return views.verfolgung(charge, tiefe, rows)


@router.post("/chargen/{charge_id}/herkunft", status_code=201, summary="Record that this Charge was made from another")
async def add_herkunft(request: Request, charge_id: ChargeId, body: HerkunftIn) -> HerkunftOut:
    async def work(session: AsyncSession) -> HerkunftOut:
        return HerkunftOut.model_validate(await service.add_herkunft(session, charge_id, body))

    return await request.app.state.db.transaction(work)


@router.delete("/chargen/{charge_id}/herkunft/{parent_id}", status_code=204, summary="Remove a genealogy link")
async def remove_herkunft(request: Request, charge_id: ChargeId, parent_id: ChargeId) -> Response:
    async def work(session: AsyncSession) -> None:
        await service.remove_herkunft(session, charge_id, parent_id)

    await request.app.state.db.transaction(work)
    return Response(status_code=204)


@router.get(
    "/artikel/{artikel_id}/verfuegbarkeit",
    tags=["artikel"],
    response_model=VerfuegbarkeitOut,
    summary="On hand, reserved and available per batch and lagerort (FEFO); unusable positions apart",
)
@cached(ttl=30, tags=["artikel:{artikel_id}"], tables=("artikel", "charge", "bestand", "lagerort"))
async def verfuegbarkeit(
    request: Request, session: ReadSession, artikel_id: int, stichtag: Stichtag = None
) -> Response:
    host = host_of(request)
    bestand = queries.foreign_table(host, "lager", "bestand")
    lagerort = queries.foreign_table(host, "lager", "lagerort")
    stichtag = stichtag or ablauf.heute()
    if bestand is None or lagerort is None:  # stock unknown while lager is not serving
        return views.verfuegbarkeit_unbekannt(await get_artikel(session, artikel_id), stichtag)
    return views.verfuegbarkeit(await queries.positionen(session, bestand, lagerort, artikel_id), stichtag)
