"""Writes of the chargen plugin: CRUD, status transitions, genealogy links.

Each function runs inside ``Database.transaction`` and may run again on a retry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, Table, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import (
    Change,
    Conflict,
    DomainEvent,
    NotFound,
    Unprocessable,
    duplicate,
    note_change,
    publish_event,
    still_referenced,
)
from modular_server.plugins.artikel.offers import find_artikel
from modular_server.plugins.chargen import events, queries
from modular_server.plugins.chargen.models import Charge, ChargeHerkunft
from modular_server.plugins.chargen.schemas import (
    Ausgang,
    ChargeIn,
    ChargePatch,
    HerkunftIn,
    OffeneReservierung,
    RueckrufOut,
)
from modular_server.plugins.chargen.views import ausgang, charge_out, offene_reservierung

if TYPE_CHECKING:
    from modular_server.plugin import PluginHostView

#: what may point at a batch and so keep it from being deleted (their foreign keys decide)
REFERENCED_BY = ("bestand", "bewegungen", "reservierungen", "herkunft")


def _duplicate_nummer(artikel_id: int, nummer: str) -> Conflict:
    return duplicate("charge", "nummer", nummer, within=f"artikel {artikel_id}")


async def create_charge(session: AsyncSession, data: ChargeIn, bestand: Table | None = None) -> Row[Any]:
    artikel = await find_artikel(session, data.artikel_id)
    if artikel is None:
        raise Unprocessable("body.artikel_id", f"artikel {data.artikel_id} does not exist")
    if not artikel.chargenpflicht:
        raise Unprocessable("body.artikel_id", f"artikel {data.artikel_id} is not managed in batches")
    if await queries.nummer_taken(session, data.artikel_id, data.nummer):
        raise _duplicate_nummer(data.artikel_id, data.nummer)
    charge = Charge(**data.model_dump())
    session.add(charge)
    await session.flush()
    return await queries.get_charge(session, charge.id, bestand)


async def update_charge(
    session: AsyncSession, charge_id: int, data: ChargePatch, bestand: Table | None = None
) -> Row[Any]:
    charge = await queries.load_charge(session, charge_id)
    changes = data.model_dump(exclude_unset=True)
    nummer = changes.get("nummer")
    if nummer is not None and await queries.nummer_taken(session, charge.artikel_id, nummer, besides=charge_id):
        raise _duplicate_nummer(charge.artikel_id, nummer)
    produktionsdatum = changes.get("produktionsdatum", charge.produktionsdatum)
    mhd = changes.get("mhd", charge.mhd)
    if produktionsdatum is not None and mhd is not None and mhd < produktionsdatum:
        raise Unprocessable("body.mhd", "mhd lies before produktionsdatum")
    for field, value in changes.items():
        setattr(charge, field, value)
    await session.flush()
    return await queries.get_charge(session, charge_id, bestand)


async def delete_charge(session: AsyncSession, charge_id: int) -> None:
    charge = await queries.load_charge(session, charge_id)
    await session.delete(charge)
    try:
        await session.flush()
    except IntegrityError as exc:
        # stock, movements, reservations or genealogy point at it (their foreign keys decide)
        raise still_referenced("charge", charge_id, REFERENCED_BY, instead="block or recall it instead") from exc


# --- status transitions ----------------------------------------------------------------------

TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    # action: (allowed from, to, event)
    "sperren": (("frei",), "gesperrt", events.CHARGE_GESPERRT),
    "freigeben": (("gesperrt",), "frei", events.CHARGE_FREIGEGEBEN),
    "rueckruf": (("frei", "gesperrt"), "zurueckgerufen", events.CHARGE_ZURUECKGERUFEN),
}


async def _transition(session: AsyncSession, charge_id: int, action: str, bestand: Table | None) -> Row[Any]:
    """Guarded UPDATE ... WHERE status IN (allowed): concurrent transitions cannot both win."""
    allowed, target, _event = TRANSITIONS[action]
    result = await session.execute(
        update(Charge)
        .where(Charge.id == charge_id, Charge.status.in_(allowed))
        .values(status=target, updated_at=func.now())
        .returning(Charge.artikel_id)
        .execution_options(synchronize_session=False)
    )
    artikel_id = result.scalar()
    if artikel_id is None:
        current = await queries.charge_status(session, charge_id)
        raise Conflict(
            f"charge {charge_id} is {current!r}; {action} needs status {' or '.join(allowed)}",
            slug="invalid-status-transition",
            status_current=current,
            allowed_from=list(allowed),
        )
    note_change(session, Change(table="charge", op="update", pk=(charge_id,), related={"artikel_id": artikel_id}))
    return await queries.get_charge(session, charge_id, bestand)


def _event_payload(charge: Row[Any], **extra: object) -> dict[str, object]:
    return {"charge_id": charge.id, "artikel_id": charge.artikel_id, "nummer": charge.nummer, **extra}


async def change_status(
    session: AsyncSession, charge_id: int, action: str, grund: str | None, bestand: Table | None = None
) -> Row[Any]:
    """sperren or freigeben; raises the matching domain event."""
    charge = await _transition(session, charge_id, action, bestand)
    publish_event(session, DomainEvent(type=TRANSITIONS[action][2], payload=_event_payload(charge, grund=grund)))
    return charge


async def rueckruf(session: AsyncSession, host: PluginHostView, charge_id: int, grund: str | None) -> RueckrufOut:
    """Recall: the batch becomes ``zurueckgerufen``; returns what it affects.

    Open reservations are reported, not cancelled: that decision (and the booking) belongs to
    the reservierungen plugin, which can act on the ``charge.zurueckgerufen`` event.
    """
    charge = await _transition(session, charge_id, "rueckruf", queries.foreign_table(host, "lager", "bestand"))
    reservierung = queries.foreign_table(host, "reservierungen", "lager_chargen_reservierung")
    bewegung = queries.foreign_table(host, "lager", "lagerbewegung")
    offen: Sequence[OffeneReservierung] | None = None
    raus: Sequence[Ausgang] | None = None
    if reservierung is not None:
        offen = [offene_reservierung(r) for r in await queries.offene_reservierungen(session, reservierung, charge_id)]
    if bewegung is not None:
        raus = [ausgang(r) for r in await queries.ausgaenge(session, bewegung, charge_id)]
    payload = _event_payload(
        charge,
        grund=grund,
        offene_reservierungen=None if offen is None else len(offen),
        ausgaenge=None if raus is None else len(raus),
    )
    publish_event(session, DomainEvent(type=events.CHARGE_ZURUECKGERUFEN, payload=payload, severity="critical"))
    return RueckrufOut(
        charge=charge_out(charge),
        offene_reservierungen=None if offen is None else list(offen),
        ausgaenge=None if raus is None else list(raus),
    )


# --- genealogy -------------------------------------------------------------------------------


async def add_herkunft(session: AsyncSession, child_id: int, data: HerkunftIn) -> ChargeHerkunft:
    await queries.charge_status(session, child_id)  # 404 for an unknown batch
    if data.parent_id == child_id:
        raise Unprocessable("body.parent_id", "a batch cannot be made from itself")
    try:
        await queries.charge_status(session, data.parent_id)
    except NotFound:
        raise Unprocessable("body.parent_id", f"charge {data.parent_id} does not exist") from None
    if await queries.herkunft_link(session, data.parent_id, child_id) is not None:
        raise duplicate("herkunft", "parent_id", data.parent_id, within=f"charge {child_id}")
    if await queries.is_ancestor(session, child_id, data.parent_id):
        raise Conflict(
            f"charge {child_id} is an ancestor of {data.parent_id}; the link would make a cycle",
            slug="genealogy-cycle",
            errors=[{"field": "body.parent_id", "reason": "would create a cycle"}],
        )
    link = ChargeHerkunft(parent_id=data.parent_id, child_id=child_id, art=data.art, menge=data.menge)
    session.add(link)
    await session.flush()
    await session.refresh(link)
    return link


async def remove_herkunft(session: AsyncSession, child_id: int, parent_id: int) -> None:
    result = await session.execute(
        delete(ChargeHerkunft)
        .where(ChargeHerkunft.parent_id == parent_id, ChargeHerkunft.child_id == child_id)
        .returning(ChargeHerkunft.id)
        .execution_options(synchronize_session=False)
    )
    link_id = result.scalar()
    if link_id is None:
        raise NotFound("herkunft", f"{parent_id}->{child_id}")
    note_change(
        session,
        Change(
            table="charge_herkunft", op="delete", pk=(link_id,), related={"parent_id": parent_id, "child_id": child_id}
        ),
    )
