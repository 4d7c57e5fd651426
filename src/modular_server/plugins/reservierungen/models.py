"""Tables of the reservierungen plugin: batch reservations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, func
from sqlalchemy.orm import Mapped, mapped_column

from modular_server.plugin import Base, UtcDateTime

RESERVIERUNG_STATUS = ("aktiv", "erledigt", "storniert", "abgelaufen")


class Reservierung(Base):
    """A reserved quantity of one Charge at one Lagerort. An artikel-level request with FEFO
    allocation creates one row per batch/location, grouped by ``anfrage_id``."""

    __tablename__ = "lager_chargen_reservierung"
    __table_args__ = (
        CheckConstraint("menge > 0", name="menge_positiv"),
        CheckConstraint("erfuellt >= 0 AND erfuellt <= menge", name="erfuellt_im_rahmen"),
        CheckConstraint(f"status IN {RESERVIERUNG_STATUS}", name="status_bekannt"),
        Index("ix_lager_chargen_reservierung_referenz", "referenz_typ", "referenz_id"),
        Index("ix_lager_chargen_reservierung_status_gueltig_bis", "status", "gueltig_bis"),
        Index("ix_lager_chargen_reservierung_charge_status", "charge_id", "status"),
        Index("ix_lager_chargen_reservierung_artikel_status", "artikel_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    anfrage_id: Mapped[str] = mapped_column(String(36), index=True)
    artikel_id: Mapped[int] = mapped_column(ForeignKey("artikel.id"))
    charge_id: Mapped[int] = mapped_column(ForeignKey("charge.id"))
    lagerort_id: Mapped[int] = mapped_column(ForeignKey("lagerort.id"), index=True)
    menge: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    erfuellt: Mapped[Decimal] = mapped_column(Numeric(18, 3), default=Decimal(0))
    referenz_typ: Mapped[str | None] = mapped_column(String(50), default=None)
    referenz_id: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[str] = mapped_column(String(20), default="aktiv")
    gueltig_bis: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now(), onupdate=func.now())
