"""Three tables whose foreign keys carry the relations the cache derives tags from."""

from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from modular_server.core.database import Base


class Sorte(Base):
    __tablename__ = "kiosk_sorte"
    __table_args__ = {"info": {"cache_tag": "sorte"}}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Posten(Base):
    __tablename__ = "kiosk_posten"
    __table_args__ = {"info": {"cache_tag": "posten"}}

    id: Mapped[int] = mapped_column(primary_key=True)
    nummer: Mapped[str] = mapped_column(String(50))
    sorte_id: Mapped[int] = mapped_column(ForeignKey("kiosk_sorte.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="frei")


class Vorrat(Base):
    __tablename__ = "kiosk_vorrat"
    __table_args__ = {"info": {"cache_tag": "vorrat"}}

    id: Mapped[int] = mapped_column(primary_key=True)
    posten_id: Mapped[int] = mapped_column(ForeignKey("kiosk_posten.id"), index=True)
    menge: Mapped[Decimal] = mapped_column(Numeric(18, 3))
