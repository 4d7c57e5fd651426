"""Request and response models of the lager plugin.

Answers carry quantities in their stored, canonical form (three decimal places, e.g.
``"10.500"``), the same on every read and write. Each model has an OpenAPI example.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from modular_server.plugin import decimal_json_schema, exact_decimal

#: the largest id of an INTEGER column on PostgreSQL (lager, lagerort, and artikel and charge)
INT4_MAX = 2**31 - 1
#: a quantity: 18 digits, 3 places (as stored); not negative (an inventur may count 0)
Menge = exact_decimal(3, positive=False)
#: the schema of a quantity greater than 0 (every booking but an inventur)
POSITIVE_MENGE_SCHEMA = decimal_json_schema(3, positive=True)
LagerortId = Annotated[int, Field(gt=0, le=INT4_MAX)]
Code = Annotated[str, Field(min_length=1, max_length=20)]
#: what a client may book
BewegungTyp = Literal["eingang", "ausgang", "umbuchung", "inventur"]
#: what the ledger holds: the bookable types and ``storno`` (made by POST .../storno)
GebuchterTyp = Literal["eingang", "ausgang", "umbuchung", "inventur", "storno"]
MAX_BATCH = 1000


def _example(**values: object) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [values]})


class LagerIn(BaseModel):
    model_config = _example(code="HAUPT", name="Hauptlager Hamburg", adresse="Hafenstraße 12, 20359 Hamburg")

    code: Code
    name: str = Field(min_length=1, max_length=200)
    adresse: str | None = Field(default=None, max_length=2000)
    aktiv: bool = True


class LagerPatch(BaseModel):
    model_config = _example(name="Zentrallager Hamburg", aktiv=False)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    adresse: str | None = Field(default=None, max_length=2000)
    aktiv: bool | None = None


class LagerOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {"id": 1, "code": "HAUPT", "name": "Hauptlager Hamburg", "adresse": "Hafenstraße 12", "aktiv": True}
            ]
        },
    )

    id: int
    code: str
    name: str
    adresse: str | None
    aktiv: bool


class LagerortIn(BaseModel):
    model_config = _example(lager_id=1, parent_id=None, code="R01-F03", name="Regal 1, Fach 3", gesperrt=False)

    lager_id: int = Field(gt=0)
    parent_id: int | None = Field(default=None, gt=0)
    code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=200)
    gesperrt: bool = False


class LagerortPatch(BaseModel):
    model_config = _example(gesperrt=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    gesperrt: bool | None = None


class LagerortOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "lager_id": 1,
                    "parent_id": None,
                    "code": "R01-F03",
                    "name": "Regal 1, Fach 3",
                    "gesperrt": False,
                }
            ]
        },
    )

    id: int
    lager_id: int
    parent_id: int | None
    code: str
    name: str
    gesperrt: bool


LOCATIONS = ("von_lagerort_id", "nach_lagerort_id", "lagerort_id")
#: the locations each type names (the others are absent or null), as the validators below check
LOCATIONS_BY_TYP = {
    "eingang": ("nach_lagerort_id",),
    "ausgang": ("von_lagerort_id",),
    "umbuchung": ("von_lagerort_id", "nach_lagerort_id"),
    "inventur": ("lagerort_id",),
}


def _rule(typ: str, named: tuple[str, ...]) -> dict[str, Any]:
    """The JSON Schema of what the validators require of one ``typ``: its locations given, the
    others left out, and a quantity greater than 0 unless it is a count. Not stated (JSON Schema
    cannot compare two members): an umbuchung's two locations differ."""
    then: dict[str, Any] = {
        "required": list(named),
        "properties": {name: {"type": "integer"} if name in named else {"type": "null"} for name in LOCATIONS},
    }
    if typ != "inventur":
        then["properties"]["menge"] = POSITIVE_MENGE_SCHEMA
    return {"if": {"properties": {"typ": {"const": typ}}, "required": ["typ"]}, "then": then}


class BewegungIn(BaseModel):
    """One movement. ``menge`` is in ``einheit`` (default: the artikel's unit).

    An ``inventur`` names the counted location in ``lagerort_id`` (and only there) and gives the
    counted quantity as ``menge``; the difference to the stock is booked, as an arrival
    (``nach_lagerort_id``) or a departure (``von_lagerort_id``) in the ledger."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "typ": "eingang",
                    "artikel_id": 1,
                    "charge_id": 4,
                    "nach_lagerort_id": 3,
                    "menge": "10.5",
                    "referenz_typ": "lieferschein",
                    "referenz_id": "LS-2026-0815",
                },
                {"typ": "inventur", "artikel_id": 1, "charge_id": 4, "lagerort_id": 3, "menge": "9.750"},
            ],
            "allOf": [_rule(typ, named) for typ, named in LOCATIONS_BY_TYP.items()],
        }
    )

    typ: BewegungTyp
    artikel_id: int = Field(gt=0, le=INT4_MAX)
    charge_id: int | None = Field(default=None, gt=0, le=INT4_MAX)
    von_lagerort_id: LagerortId | None = Field(default=None, description="source (ausgang, umbuchung)")
    nach_lagerort_id: LagerortId | None = Field(default=None, description="destination (eingang, umbuchung)")
    lagerort_id: LagerortId | None = Field(default=None, description="the counted location (inventur only)")
    menge: Menge
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

    @field_validator("von_lagerort_id", "nach_lagerort_id")
    @classmethod
    def _no_direction_for_inventur(cls, ort: int | None, info: ValidationInfo) -> int | None:
        # the direction of an inventur follows from the count: accepting one would echo the other
        if ort is not None and info.data.get("typ") == "inventur":
            raise ValueError("an inventur names its counted location in lagerort_id")
        return ort

    @field_validator("lagerort_id")
    @classmethod
    def _only_for_inventur(cls, ort: int | None, info: ValidationInfo) -> int | None:
        if ort is not None and info.data.get("typ") not in (None, "inventur"):
            raise ValueError("only an inventur has lagerort_id; use von_lagerort_id / nach_lagerort_id")
        return ort

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
        elif self.lagerort_id is None:
            raise ValueError("inventur needs lagerort_id (the counted location)")
        if self.typ == "umbuchung" and self.von_lagerort_id == self.nach_lagerort_id:
            raise ValueError("umbuchung needs two different locations")
        return self


class BewegungBatchIn(BaseModel):
    model_config = _example(
        items=[
            {"typ": "eingang", "artikel_id": 1, "charge_id": 4, "nach_lagerort_id": 3, "menge": "25"},
            {
                "typ": "umbuchung",
                "artikel_id": 1,
                "charge_id": 4,
                "von_lagerort_id": 3,
                "nach_lagerort_id": 5,
                "menge": "5",
            },
        ]
    )

    items: list[BewegungIn] = Field(min_length=1, max_length=MAX_BATCH)


class StornoIn(BaseModel):
    model_config = _example(bemerkung="falsche Charge gebucht")

    bemerkung: str | None = Field(default=None, max_length=2000)


BEWEGUNG_EXAMPLE = {
    "id": 1042,
    "typ": "eingang",
    "artikel_id": 1,
    "charge_id": 4,
    "von_lagerort_id": None,
    "nach_lagerort_id": 3,
    "menge": "10.500",
    "referenz_typ": "lieferschein",
    "referenz_id": "LS-2026-0815",
    "storno_von_id": None,
    "bemerkung": None,
    "created_at": "2026-03-02T08:15:00Z",
    "created_by": "wareneingang",
}


class BewegungOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [BEWEGUNG_EXAMPLE]})

    id: int
    typ: GebuchterTyp
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
    """The booked movements in the order of the request's items."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [BEWEGUNG_EXAMPLE]}]})

    items: list[BewegungOut]


class BestandOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "artikel_id": 1,
                    "charge_id": 4,
                    "lagerort_id": 3,
                    "lager_id": 1,
                    "menge": "10.500",
                    "reserviert": "2.000",
                    "verfuegbar": "8.500",
                }
            ]
        },
    )

    id: int
    artikel_id: int
    charge_id: int | None
    lagerort_id: int
    lager_id: int
    menge: Decimal
    reserviert: Decimal
    verfuegbar: Decimal
