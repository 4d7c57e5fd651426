"""Tables of the artikel plugin: Einheit and Artikel."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Numeric, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from modular_server.plugin import Base, UtcDateTime

EINHEIT_KATEGORIEN = ("gewicht", "volumen", "laenge", "stueck")


class Einheit(Base):
    """A unit of measure; ``faktor`` converts to the base unit of its ``kategorie``
    (e.g. g -> kg: 0.001). Quantities of the same kategorie convert into each other."""

    __tablename__ = "einheit"
    __table_args__ = (
        CheckConstraint("faktor > 0", name="faktor_positiv"),
        CheckConstraint(f"kategorie IN {EINHEIT_KATEGORIEN}", name="kategorie_bekannt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kategorie: Mapped[str] = mapped_column(String(20))
    faktor: Mapped[Decimal] = mapped_column(Numeric(18, 6), default=Decimal(1))


class Artikel(Base):
    __tablename__ = "artikel"
    __table_args__ = (
        CheckConstraint("mindestbestand >= 0", name="mindestbestand_nicht_negativ"),
        Index("ix_artikel_kategorie_id", "kategorie", "id"),
        Index("ix_artikel_aktiv_id", "aktiv", "id"),
        # varchar_pattern_ops: PostgreSQL serves the name-prefix filter (LIKE 'x%') from it in any collation
        Index("ix_artikel_name", "name", postgresql_ops={"name": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nummer: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    beschreibung: Mapped[str | None] = mapped_column(Text, default=None)
    kategorie: Mapped[str | None] = mapped_column(String(100), default=None)
    einheit_id: Mapped[int] = mapped_column(ForeignKey("einheit.id"), index=True)
    chargenpflicht: Mapped[bool] = mapped_column(Boolean, default=True)
    mindestbestand: Mapped[Decimal] = mapped_column(Numeric(18, 3), default=Decimal(0))
    aktiv: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now(), onupdate=func.now())

    # lazy="raise": an accidental lazy load fails the tests instead of slowing production
    einheit: Mapped[Einheit] = relationship(lazy="raise")
