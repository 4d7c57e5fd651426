"""Stock the way the seed's origin computed it: a SUM over the movement ledger, per row."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from benchmarks.baseline.models import Lagerbewegung, Reservierung

ZERO = Decimal("0.000")

# a movement adds to its nach_lagerort and takes from its von_lagerort
_ZUGANG = func.coalesce(func.sum(case((Lagerbewegung.nach_lagerort_id.is_not(None), Lagerbewegung.menge), else_=0)), 0)
_ABGANG = func.coalesce(func.sum(case((Lagerbewegung.von_lagerort_id.is_not(None), Lagerbewegung.menge), else_=0)), 0)


def menge_der_charge(session: Session, charge_id: int) -> Decimal:
    """Stock of one batch over all lagerorte (one aggregate over its whole ledger)."""
    zugang, abgang = session.execute(select(_ZUGANG, _ABGANG).where(Lagerbewegung.charge_id == charge_id)).one()
    return Decimal(zugang) - Decimal(abgang)


def menge_am_ort(session: Session, artikel_id: int, charge_id: int | None, lagerort_id: int) -> Decimal:
    """Stock of one batch (or batch-less artikel) at one lagerort."""
    charge = Lagerbewegung.charge_id.is_(None) if charge_id is None else Lagerbewegung.charge_id == charge_id
    zugang = session.scalar(
        select(func.coalesce(func.sum(Lagerbewegung.menge), 0)).where(
            Lagerbewegung.artikel_id == artikel_id, charge, Lagerbewegung.nach_lagerort_id == lagerort_id
        )
    )
    abgang = session.scalar(
        select(func.coalesce(func.sum(Lagerbewegung.menge), 0)).where(
            Lagerbewegung.artikel_id == artikel_id, charge, Lagerbewegung.von_lagerort_id == lagerort_id
        )
    )
    return Decimal(zugang) - Decimal(abgang)


def reserviert_der_charge(session: Session, charge_id: int, lagerort_id: int | None = None) -> Decimal:
    """Open reserved quantity of one batch (optionally at one lagerort)."""
    query = select(func.coalesce(func.sum(Reservierung.menge - Reservierung.erfuellt), 0)).where(
        Reservierung.charge_id == charge_id, Reservierung.status == "aktiv"
    )
    if lagerort_id is not None:
        query = query.where(Reservierung.lagerort_id == lagerort_id)
    return Decimal(session.scalar(query))


def lagerorte_mit_bewegung(session: Session, artikel_id: int, charge_id: int | None) -> list[int]:
    """Every lagerort a batch (or batch-less artikel) ever moved to or from."""
    charge = Lagerbewegung.charge_id.is_(None) if charge_id is None else Lagerbewegung.charge_id == charge_id
    rows = session.execute(
        select(Lagerbewegung.nach_lagerort_id, Lagerbewegung.von_lagerort_id).where(
            Lagerbewegung.artikel_id == artikel_id, charge
        )
    )
    return sorted({ort for pair in rows for ort in pair if ort is not None})
