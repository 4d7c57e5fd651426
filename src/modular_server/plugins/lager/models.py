"""Tables of the lager plugin: Lager, Lagerort, the movement ledger and the stock balances."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from modular_server.plugin import Base, UtcDateTime

BEWEGUNG_TYPEN = ("eingang", "ausgang", "umbuchung", "inventur", "storno")
# BigInteger ids on PostgreSQL, INTEGER (the rowid alias) on SQLite
LedgerId = BigInteger().with_variant(Integer(), "sqlite")


class Lager(Base):
    __tablename__ = "lager"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    adresse: Mapped[str | None] = mapped_column(Text, default=None)
    aktiv: Mapped[bool] = mapped_column(Boolean, default=True)


class Lagerort(Base):
    __tablename__ = "lagerort"
    __table_args__ = (UniqueConstraint("lager_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lager_id: Mapped[int] = mapped_column(ForeignKey("lager.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("lagerort.id"), index=True, default=None)
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    gesperrt: Mapped[bool] = mapped_column(Boolean, default=False)


class Lagerbewegung(Base):
    """Append-only ledger: no update or delete of a booked movement exists.

    ``menge`` is in the artikel's base unit and always > 0; the direction comes from the
    type and the von/nach locations. A storno reverses ``storno_von_id`` (at most once).
    """

    __tablename__ = "lagerbewegung"
    __table_args__ = (
        CheckConstraint("menge > 0", name="menge_positiv"),
        CheckConstraint(f"typ IN {BEWEGUNG_TYPEN}", name="typ_bekannt"),
        CheckConstraint("von_lagerort_id IS NOT NULL OR nach_lagerort_id IS NOT NULL", name="ort_angegeben"),
        Index("ix_lagerbewegung_artikel_id_id", "artikel_id", "id"),
        Index("ix_lagerbewegung_charge_id_id", "charge_id", "id"),
        Index("ix_lagerbewegung_typ_id", "typ", "id"),
        Index("ix_lagerbewegung_referenz", "referenz_typ", "referenz_id"),
        Index("ix_lagerbewegung_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(LedgerId, primary_key=True)
    typ: Mapped[str] = mapped_column(String(20))
    artikel_id: Mapped[int] = mapped_column(ForeignKey("artikel.id"))
    charge_id: Mapped[int | None] = mapped_column(ForeignKey("charge.id"), default=None)
    von_lagerort_id: Mapped[int | None] = mapped_column(ForeignKey("lagerort.id"), index=True, default=None)
    nach_lagerort_id: Mapped[int | None] = mapped_column(ForeignKey("lagerort.id"), index=True, default=None)
    menge: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    referenz_typ: Mapped[str | None] = mapped_column(String(50), default=None)
    referenz_id: Mapped[str | None] = mapped_column(String(100), default=None)
    storno_von_id: Mapped[int | None] = mapped_column(ForeignKey("lagerbewegung.id"), unique=True, default=None)
    bemerkung: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(100))


class Bestand(Base):
    """Balance per (artikel, charge, lagerort), updated in the same transaction as each
    movement. The database enforces 0 <= reserviert <= menge as the last line of defence."""

    __tablename__ = "bestand"
    __table_args__ = (
        CheckConstraint("menge >= 0", name="menge_nicht_negativ"),
        CheckConstraint("reserviert >= 0", name="reserviert_nicht_negativ"),
        CheckConstraint("reserviert <= menge", name="reserviert_hoechstens_menge"),
        # one row per key; charge_id is NULL for articles without Chargenpflicht
        Index(
            "uq_bestand_artikel_charge_ort",
            "artikel_id",
            "charge_id",
            "lagerort_id",
            unique=True,
            sqlite_where=text("charge_id IS NOT NULL"),
            postgresql_where=text("charge_id IS NOT NULL"),
        ),
        Index(
            "uq_bestand_artikel_ort_ohne_charge",
            "artikel_id",
            "lagerort_id",
            unique=True,
            sqlite_where=text("charge_id IS NULL"),
            postgresql_where=text("charge_id IS NULL"),
        ),
        Index("ix_bestand_artikel_id", "artikel_id"),
        Index("ix_bestand_charge_id", "charge_id"),
        Index("ix_bestand_lagerort_id", "lagerort_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artikel_id: Mapped[int] = mapped_column(ForeignKey("artikel.id"))
    charge_id: Mapped[int | None] = mapped_column(ForeignKey("charge.id"), default=None)
    lagerort_id: Mapped[int] = mapped_column(ForeignKey("lagerort.id"))
    menge: Mapped[Decimal] = mapped_column(Numeric(18, 3), default=Decimal(0))
    reserviert: Mapped[Decimal] = mapped_column(Numeric(18, 3), default=Decimal(0))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now(), onupdate=func.now())
