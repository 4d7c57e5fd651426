"""The baseline's own mapping of the product's tables: a separate DeclarativeBase and
``lazy="select"`` relationships, as an ORM-first codebase typically has them. Only the
columns the baseline reads or writes are mapped."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Numeric
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class BaselineBase(DeclarativeBase):
    """Never used to create or migrate tables: the product's migrations own the schema."""

    type_annotation_map = {datetime: DateTime(timezone=True)}


class Einheit(BaselineBase):
    __tablename__ = "einheit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str]
    name: Mapped[str]
    kategorie: Mapped[str]
    faktor: Mapped[Decimal] = mapped_column(Numeric(18, 6))


class Artikel(BaselineBase):
    __tablename__ = "artikel"

    id: Mapped[int] = mapped_column(primary_key=True)
    nummer: Mapped[str]
    name: Mapped[str]
    beschreibung: Mapped[str | None]
    kategorie: Mapped[str | None]
    einheit_id: Mapped[int] = mapped_column(ForeignKey("einheit.id"))
    chargenpflicht: Mapped[bool]
    mindestbestand: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    aktiv: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    einheit: Mapped[Einheit] = relationship(lazy="select")
    chargen: Mapped[list[Charge]] = relationship(back_populates="artikel", lazy="select", order_by="Charge.id")


class Charge(BaselineBase):
    __tablename__ = "charge"

    id: Mapped[int] = mapped_column(primary_key=True)
    artikel_id: Mapped[int] = mapped_column(ForeignKey("artikel.id"))
    nummer: Mapped[str]
    produktionsdatum: Mapped[date | None]
    mhd: Mapped[date | None]
    status: Mapped[str]
    lieferant: Mapped[str | None]
    lieferanten_charge: Mapped[str | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    artikel: Mapped[Artikel] = relationship(back_populates="chargen", lazy="select")
    bewegungen: Mapped[list[Lagerbewegung]] = relationship(lazy="select", order_by="Lagerbewegung.id")
    reservierungen: Mapped[list[Reservierung]] = relationship(lazy="select", order_by="Reservierung.id")


class Lager(BaselineBase):
    __tablename__ = "lager"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str]
    name: Mapped[str]


class Lagerort(BaselineBase):
    __tablename__ = "lagerort"

    id: Mapped[int] = mapped_column(primary_key=True)
    lager_id: Mapped[int] = mapped_column(ForeignKey("lager.id"))
    code: Mapped[str]
    name: Mapped[str]
    gesperrt: Mapped[bool]

    lager: Mapped[Lager] = relationship(lazy="select")


class Lagerbewegung(BaselineBase):
    __tablename__ = "lagerbewegung"

    id: Mapped[int] = mapped_column(primary_key=True)
    typ: Mapped[str]
    artikel_id: Mapped[int] = mapped_column(ForeignKey("artikel.id"))
    charge_id: Mapped[int | None] = mapped_column(ForeignKey("charge.id"))
    von_lagerort_id: Mapped[int | None] = mapped_column(ForeignKey("lagerort.id"))
    nach_lagerort_id: Mapped[int | None] = mapped_column(ForeignKey("lagerort.id"))
    menge: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    referenz_typ: Mapped[str | None]
    referenz_id: Mapped[str | None]
    bemerkung: Mapped[str | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str]


class Reservierung(BaselineBase):
    __tablename__ = "lager_chargen_reservierung"

    id: Mapped[int] = mapped_column(primary_key=True)
    anfrage_id: Mapped[str]
    artikel_id: Mapped[int] = mapped_column(ForeignKey("artikel.id"))
    charge_id: Mapped[int] = mapped_column(ForeignKey("charge.id"))
    lagerort_id: Mapped[int] = mapped_column(ForeignKey("lagerort.id"))
    menge: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    erfuellt: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    referenz_typ: Mapped[str | None]
    referenz_id: Mapped[str | None]
    status: Mapped[str]
    gueltig_bis: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str]
    updated_at: Mapped[datetime]

    lagerort: Mapped[Lagerort] = relationship(lazy="select")
