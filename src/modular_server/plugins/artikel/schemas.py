"""Request and response bodies of the artikel plugin."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from modular_server.plugin import exact_decimal

Kategorie = Literal["gewicht", "volumen", "laenge", "stueck"]
#: stored quantities (18 digits, 3 places) and unit factors (6 places), as their schemas state
Menge = exact_decimal(3, positive=False)
Faktor = exact_decimal(6, positive=True)

EINHEIT_EXAMPLE = {"id": 2, "code": "g", "name": "Gramm", "kategorie": "gewicht", "faktor": "0.001000"}
ARTIKEL_EXAMPLE = {
    "id": 1,
    "nummer": "MEHL-405",
    "name": "Weizenmehl Type 405",
    "beschreibung": "Backmehl, 25-kg-Sack",
    "kategorie": "Rohstoffe",
    "einheit": {**EINHEIT_EXAMPLE, "id": 1, "code": "kg", "name": "Kilogramm", "faktor": "1.000000"},
    "chargenpflicht": True,
    "mindestbestand": "50.000",
    "aktiv": True,
    "created_at": "2026-03-02T08:00:00Z",
    "updated_at": "2026-03-02T08:00:00Z",
}


def _example(**values: object) -> dict[str, object]:
    return {"examples": [values]}


class EinheitIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra=_example(code="g", name="Gramm", kategorie="gewicht", faktor="0.001")
    )

    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=100)
    kategorie: Kategorie
    faktor: Faktor = Field(description="factor to the base unit of the kategorie (g -> kg: 0.001)")


class EinheitPatch(BaseModel):
    """Only the name is mutable: a new factor or kategorie would silently change stored quantities."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_example(name="Gramm (g)"))

    name: str = Field(default=None, min_length=1, max_length=100)


class EinheitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [EINHEIT_EXAMPLE]})

    id: int
    code: str
    name: str
    kategorie: Kategorie
    faktor: Decimal


class ArtikelIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=_example(
            nummer="MEHL-405",
            name="Weizenmehl Type 405",
            beschreibung="Backmehl, 25-kg-Sack",
            kategorie="Rohstoffe",
            einheit_id=1,
            chargenpflicht=True,
            mindestbestand="50",
        ),
    )

    nummer: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=200)
    beschreibung: str | None = Field(default=None, max_length=10_000)
    kategorie: str | None = Field(default=None, max_length=100)
    einheit_id: int
    chargenpflicht: bool = True
    mindestbestand: Menge = Decimal(0)
    aktiv: bool = True


class ArtikelPatch(BaseModel):
    """Fields left out stay as they are; ``einheit_id`` is immutable (stock is kept in that unit)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_example(mindestbestand="75", aktiv=True))

    nummer: str = Field(default=None, min_length=1, max_length=50)
    name: str = Field(default=None, min_length=1, max_length=200)
    beschreibung: str | None = Field(default=None, max_length=10_000)
    kategorie: str | None = Field(default=None, max_length=100)
    chargenpflicht: bool = Field(default=None)
    mindestbestand: Menge = Field(default=None)
    aktiv: bool = Field(default=None)


class ArtikelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [ARTIKEL_EXAMPLE]})

    id: int
    nummer: str
    name: str
    beschreibung: str | None
    kategorie: str | None
    einheit: EinheitOut
    chargenpflicht: bool
    mindestbestand: Decimal
    aktiv: bool
    created_at: datetime
    updated_at: datetime
