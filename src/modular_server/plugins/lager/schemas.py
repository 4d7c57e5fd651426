"""Request and response models of the lager plugin."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Menge = Annotated[Decimal, Field(max_digits=18, decimal_places=3)]
Code = Annotated[str, Field(min_length=1, max_length=20)]
BewegungTyp = Literal["eingang", "ausgang", "umbuchung", "inventur"]
MAX_BATCH = 1000


class LagerIn(BaseModel):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    adresse: str | None = Field(default=None, max_length=2000)
    aktiv: bool = True


class LagerPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    adresse: str | None = Field(default=None, max_length=2000)
    aktiv: bool | None = None


class LagerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    adresse: str | None
    aktiv: bool


class LagerortIn(BaseModel):
    lager_id: int = Field(gt=0)
    parent_id: int | None = Field(default=None, gt=0)
    code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=200)
    gesperrt: bool = False


class LagerortPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    gesperrt: bool | None = None


class LagerortOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    lager_id: int
    parent_id: int | None
    code: str
    name: str
    gesperrt: bool


class BewegungIn(BaseModel):
    """One movement. ``menge`` is in ``einheit`` (default: the artikel's unit); for an
    ``inventur`` it is the counted quantity at the location, and the difference is booked."""

    typ: BewegungTyp
    artikel_id: int = Field(gt=0)
    charge_id: int | None = Field(default=None, gt=0)
    von_lagerort_id: int | None = Field(default=None, gt=0)
    nach_lagerort_id: int | None = Field(default=None, gt=0)
    menge: Menge = Field(ge=0)
    einheit: str | None = Field(default=None, min_length=1, max_length=20)
    referenz_typ: str | None = Field(default=None, max_length=50)
    referenz_id: str | None = Field(default=None, max_length=100)
    bemerkung: str | None = Field(default=None, max_length=2000)

    @field_validator("menge")
    @classmethod
    def _positive_unless_counted(cls, menge: Decimal, info: ValidationInfo) -> Decimal:
        if menge <= 0 and info.data.get("typ") != "inventur":
            raise ValueError("must be greater than 0 (only an inventur may count 0)")
        return menge

    @model_validator(mode="after")
    def _locations_fit_the_type(self) -> BewegungIn:
        need = {
            "eingang": (False, True),
            "ausgang": (True, False),
            "umbuchung": (True, True),
        }.get(self.typ)
        if need is not None:
            von, nach = need
            if von != (self.von_lagerort_id is not None) or nach != (self.nach_lagerort_id is not None):
                raise ValueError(
                    f"{self.typ} needs "
                    + " and ".join(n for n, used in (("von_lagerort_id", von), ("nach_lagerort_id", nach)) if used)
                    + " (and no other location)"
                )
        elif (self.von_lagerort_id is None) == (self.nach_lagerort_id is None):
            raise ValueError("inventur needs exactly one location (nach_lagerort_id or von_lagerort_id)")
        if self.typ == "umbuchung" and self.von_lagerort_id == self.nach_lagerort_id:
            raise ValueError("umbuchung needs two different locations")
        return self


class BewegungBatchIn(BaseModel):
    items: list[BewegungIn] = Field(min_length=1, max_length=MAX_BATCH)


class StornoIn(BaseModel):
    bemerkung: str | None = Field(default=None, max_length=2000)


class BewegungOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    typ: str
    artikel_id: int
    charge_id: int | None
    von_lagerort_id: int | None
    nach_lagerort_id: int | None
    menge: Decimal
    referenz_typ: str | None
    referenz_id: str | None
    storno_von_id: int | None
    bemerkung: str | None
    created_at: datetime
    created_by: str


class BatchOut(BaseModel):
    items: list[BewegungOut]


class BestandOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    artikel_id: int
    charge_id: int | None
    lagerort_id: int
    lager_id: int
    menge: Decimal
    reserviert: Decimal
    verfuegbar: Decimal
