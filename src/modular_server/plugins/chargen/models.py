"""Tables of the chargen plugin: Charge (batch) and its genealogy."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from modular_server.plugin import Base, UtcDateTime

CHARGE_STATUS = ("frei", "gesperrt", "zurueckgerufen")
HERKUNFT_ARTEN = ("produktion", "umpackung", "aufteilung", "zusammenfuehrung")


class Charge(Base):
    __tablename__ = "charge"
    __table_args__ = (
        UniqueConstraint("artikel_id", "nummer"),
        CheckConstraint(f"status IN {CHARGE_STATUS}", name="status_bekannt"),
        Index("ix_charge_status_mhd", "status", "mhd"),
        Index("ix_charge_mhd_id", "mhd", "id"),
        # list filters with keyset on id; (artikel_id, id) also serves the foreign key
        Index("ix_charge_artikel_id_id", "artikel_id", "id"),
        Index("ix_charge_status_id", "status", "id"),
        Index("ix_charge_nummer", "nummer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artikel_id: Mapped[int] = mapped_column(ForeignKey("artikel.id"))
    nummer: Mapped[str] = mapped_column(String(50))
    produktionsdatum: Mapped[date | None] = mapped_column(Date, default=None)
    mhd: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(20), default="frei")
    lieferant: Mapped[str | None] = mapped_column(String(200), default=None)
    lieferanten_charge: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now(), onupdate=func.now())
    # no relationship to artikel: that plugin's rows are read through its offer (artikel.offers.ARTIKEL)


class ChargeHerkunft(Base):
    """Genealogy: ``child`` was made from ``parent`` (production, repacking, splitting)."""

    __tablename__ = "charge_herkunft"
    __table_args__ = (
        UniqueConstraint("parent_id", "child_id"),
        CheckConstraint("parent_id <> child_id", name="nicht_selbst"),
        CheckConstraint(f"art IN {HERKUNFT_ARTEN}", name="art_bekannt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("charge.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("charge.id"), index=True)
    art: Mapped[str] = mapped_column(String(20))
    menge: Mapped[Decimal | None] = mapped_column(Numeric(18, 3), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
