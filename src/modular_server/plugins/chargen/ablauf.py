"""The expiry check: one ``charge.laeuft_ab`` event per free batch whose MHD is near.

Called by the notifications plugin's daily check (``host_of(app).data["chargen"].melde_ablaufende``),
by ``POST /api/v1/chargen/ablaufend/melden`` and by ``modular-server chargen-ablauf``.
While the lager plugin serves, only batches with stock on hand are reported.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from modular_server.plugin import DomainEvent, host_of
from modular_server.plugins.chargen import events, queries

if TYPE_CHECKING:
    from fastapi import FastAPI

CHUNK = 500


def heute() -> date:
    """The day MHDs are compared with: the UTC date, the same in every worker."""
    return datetime.now(UTC).date()


async def melde_ablaufende(app: FastAPI, tage: int | None = None, stichtag: date | None = None) -> int:
    """Publish ``charge.laeuft_ab`` for each free batch with ``stichtag <= mhd <= stichtag + tage``.

    ``tage`` defaults to the ``ablauf_warnung_tage`` setting. Returns the number of events.
    Reads in chunks (keyset), so memory stays flat however many batches expire.
    """
    host = host_of(app)
    tage = tage if tage is not None else host.settings_for("chargen").ablauf_warnung_tage
    von = stichtag or heute()
    bis = von + timedelta(days=tage)
    bestand = queries.foreign_table(host, "lager", "bestand")
    gemeldet = 0
    after: tuple[date, int] | None = None
    while True:
        async with app.state.db.session() as session:
            chunk = await queries.expiring_chunk(session, von=von, bis=bis, bestand=bestand, after=after, size=CHUNK)
        for charge in chunk:
            if charge.mhd is None:  # excluded by the query; keeps the types honest
                continue
            payload = {
                "charge_id": charge.id,
                "artikel_id": charge.artikel_id,
                "artikel_nummer": charge.artikel__nummer,
                "nummer": charge.nummer,
                "mhd": charge.mhd.isoformat(),
                "tage_bis_mhd": (charge.mhd - von).days,
            }
            await app.state.db.publish(DomainEvent(type=events.CHARGE_LAEUFT_AB, payload=payload, severity="warning"))
        gemeldet += len(chunk)
        if len(chunk) < CHUNK:
            return gemeldet
        last = chunk[-1]
        after = (last.mhd, last.id)  # type: ignore[assignment]
