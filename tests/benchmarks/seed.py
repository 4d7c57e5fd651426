"""A small, exactly known inventory written with the product's models (tests only).

Stock is booked as ``eingang`` movements and kept in ``bestand`` exactly as the ledger says,
and a few open reservations are reflected in ``bestand.reserviert``; so the baseline (ledger
SUMs) and the product (balances) must report the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugins.artikel.models import Artikel, Einheit
from modular_server.plugins.chargen.models import Charge
from modular_server.plugins.lager.models import Bestand, Lager, Lagerbewegung, Lagerort
from modular_server.plugins.reservierungen.models import Reservierung

STICHTAG = datetime.now(UTC).date()  # reservations compare MHDs with today


@dataclass
class Seeded:
    artikel_ids: list[int] = field(default_factory=list)
    charge_ids: list[int] = field(default_factory=list)
    lagerort_ids: list[int] = field(default_factory=list)
    # expected per charge: (menge, reserviert) summed over lagerorte
    bestand: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)


async def seed(session: AsyncSession, *, artikel: int = 4, chargen_je_artikel: int = 3) -> Seeded:
    out = Seeded()
    kg = Einheit(code="kg", name="Kilogramm", kategorie="gewicht", faktor=Decimal(1))
    session.add(kg)
    lager = Lager(code="L1", name="Hauptlager")
    session.add(lager)
    await session.flush()
    orte = [Lagerort(lager_id=lager.id, code=f"A-{n}", name=f"Regal {n}", gesperrt=n == 1) for n in range(3)]
    session.add_all(orte)
    await session.flush()
    out.lagerort_ids = [o.id for o in orte]
    for a in range(artikel):
        art = Artikel(nummer=f"ART-{a}", name=f"Artikel {a}", kategorie=("obst", "gemuese")[a % 2], einheit_id=kg.id)
        session.add(art)
        await session.flush()
        out.artikel_ids.append(art.id)
        for c in range(chargen_je_artikel):
            charge = Charge(
                artikel_id=art.id,
                nummer=f"CH-{a}-{c}",
                mhd=STICHTAG + timedelta(days=10 * c - 5),  # the first batch of each artikel is expired
                status="gesperrt" if c == 1 and a == 0 else "frei",
            )
            session.add(charge)
            await session.flush()
            out.charge_ids.append(charge.id)
            total, reserved = Decimal(0), Decimal(0)
            for index, ort in enumerate(orte[:2]):
                menge = Decimal(10 * (c + 1) + index)
                reserviert = Decimal("1.5") if index == 0 else Decimal(0)
                session.add(
                    Lagerbewegung(
                        typ="eingang",
                        artikel_id=art.id,
                        charge_id=charge.id,
                        nach_lagerort_id=ort.id,
                        menge=menge + 2,
                        created_by="seed",
                    )
                )
                session.add(
                    Lagerbewegung(
                        typ="ausgang",
                        artikel_id=art.id,
                        charge_id=charge.id,
                        von_lagerort_id=ort.id,
                        menge=Decimal(2),
                        created_by="seed",
                    )
                )
                session.add(
                    Bestand(
                        artikel_id=art.id, charge_id=charge.id, lagerort_id=ort.id, menge=menge, reserviert=reserviert
                    )
                )
                if reserviert:
                    session.add(
                        Reservierung(
                            anfrage_id=f"seed-{charge.id}",
                            artikel_id=art.id,
                            charge_id=charge.id,
                            lagerort_id=ort.id,
                            menge=reserviert,
                            created_by="seed",
                        )
                    )
                total += menge
                reserved += reserviert
            out.bestand[charge.id] = (total, reserved)
    await session.flush()
    return out
