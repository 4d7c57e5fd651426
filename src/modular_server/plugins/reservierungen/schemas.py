"""Request and response models of the reservierungen plugin."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Menge = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=3)]
Status = Literal["aktiv", "erledigt", "storniert", "abgelaufen"]


class ReservierungIn(BaseModel):
    """Reserve a ``charge`` (optionally at one ``lagerort_id``), or an ``artikel_id`` with FEFO
    allocation across its batches (earliest MHD first)."""

    charge_id: int | None = Field(default=None, gt=0)
    artikel_id: int | None = Field(default=None, gt=0)
    lagerort_id: int | None = Field(default=None, gt=0)
    menge: Menge
    einheit: str | None = Field(default=None, min_length=1, max_length=20)
    referenz_typ: str | None = Field(default=None, max_length=50)
    referenz_id: str | None = Field(default=None, max_length=100)
    gueltig_bis: datetime | None = None
    allow_partial: bool = False

    @model_validator(mode="after")
    def _charge_or_artikel(self) -> ReservierungIn:
        if (self.charge_id is None) == (self.artikel_id is None):
            raise ValueError("give exactly one of charge_id or artikel_id")
        return self


class ErfuellenIn(BaseModel):
    menge: Menge | None = Field(default=None, description="default: everything still open")


class ReservierungOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    anfrage_id: str
    artikel_id: int
    charge_id: int
    lagerort_id: int
    menge: Decimal
    erfuellt: Decimal
    referenz_typ: str | None
    referenz_id: str | None
    status: str
    gueltig_bis: datetime | None
    created_at: datetime
    created_by: str


class AnfrageOut(BaseModel):
    """The reservations one request created (one per batch and location)."""

    anfrage_id: str
    angefragt: Decimal
    reserviert: Decimal
    items: list[ReservierungOut]


class ErfuellungOut(BaseModel):
    reservierung: ReservierungOut
    bewegung_id: int
