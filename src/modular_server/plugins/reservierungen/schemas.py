"""Request and response models of the reservierungen plugin.

Answers show stored values: quantities with three decimal places, timestamps in UTC."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from modular_server.plugin import exact_decimal

#: the largest id of an INTEGER column on PostgreSQL (artikel, charge, lagerort, reservierung)
INT4_MAX = 2**31 - 1
Menge = exact_decimal(3, positive=True)
RowId = Annotated[int, Field(gt=0, le=INT4_MAX)]
#: "give exactly one of charge_id or artikel_id" (the model validator below), stated in the schema:
#: with a charge_id no artikel_id, else an artikel_id (if/then/else, which client generators read
#: as one model, where a oneOf becomes a union of two)
ONE_TARGET = {
    "if": {"required": ["charge_id"], "properties": {"charge_id": {"type": "integer"}}},
    "then": {"properties": {"artikel_id": {"type": "null"}}},
    "else": {"required": ["artikel_id"], "properties": {"artikel_id": {"type": "integer"}}},
}
Status = Literal["aktiv", "erledigt", "storniert", "abgelaufen"]

RESERVIERUNG_EXAMPLE = {
    "id": 17,
    "anfrage_id": "0b6f3c2e-5a1d-4c8e-9f7a-2d4e6b8a0c1f",
    "artikel_id": 1,
    "charge_id": 4,
    "lagerort_id": 3,
    "menge": "12.000",
    "erfuellt": "0.000",
    "referenz_typ": "auftrag",
    "referenz_id": "AU-2026-0042",
    "status": "aktiv",
    "gueltig_bis": "2026-03-09T16:00:00Z",
    "created_at": "2026-03-02T09:30:00Z",
    "created_by": "vertrieb",
}


class ReservierungIn(BaseModel):
    """Reserve a ``charge`` (optionally at one ``lagerort_id``), or an ``artikel_id`` with FEFO
    allocation across its batches (earliest MHD first)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "artikel_id": 1,
                    "menge": "12",
                    "referenz_typ": "auftrag",
                    "referenz_id": "AU-2026-0042",
                    "gueltig_bis": "2036-03-09T17:00:00+01:00",
                }
            ],
            "allOf": [ONE_TARGET],
        }
    )

    charge_id: RowId | None = None
    artikel_id: RowId | None = None
    lagerort_id: RowId | None = None
    menge: Menge
    einheit: str | None = Field(default=None, min_length=1, max_length=20)
    referenz_typ: str | None = Field(default=None, max_length=50)
    referenz_id: str | None = Field(default=None, max_length=100)
    gueltig_bis: AwareDatetime | None = Field(default=None, description="with an offset; answered in UTC")
    allow_partial: bool = False

    @model_validator(mode="after")
    def _charge_or_artikel(self) -> ReservierungIn:
        if (self.charge_id is None) == (self.artikel_id is None):
            raise ValueError("give exactly one of charge_id or artikel_id")
        return self


class ErfuellenIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"menge": "5"}]})

    menge: Menge | None = Field(default=None, description="default: everything still open")


class ReservierungOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [RESERVIERUNG_EXAMPLE]})

    id: int
    anfrage_id: str
    artikel_id: int
    charge_id: int
    lagerort_id: int
    menge: Decimal
    erfuellt: Decimal
    referenz_typ: str | None
    referenz_id: str | None
    status: Status
    gueltig_bis: datetime | None
    created_at: datetime
    created_by: str


class AnfrageOut(BaseModel):
    """The reservations one request created (one per batch and location)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "anfrage_id": RESERVIERUNG_EXAMPLE["anfrage_id"],
                    "angefragt": "12.000",
                    "reserviert": "12.000",
                    "items": [RESERVIERUNG_EXAMPLE],
                }
            ]
        }
    )

    anfrage_id: str
    angefragt: Decimal
    reserviert: Decimal
    items: list[ReservierungOut]


class ErfuellungOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reservierung": {**RESERVIERUNG_EXAMPLE, "erfuellt": "5.000"}, "bewegung_id": 1043}]
        }
    )

    reservierung: ReservierungOut
    bewegung_id: int
