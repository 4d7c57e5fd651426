"""Request and response bodies of the chargen plugin.

Stock and reservation fields are ``null`` while the plugin that owns them (lager,
reservierungen) is not serving: unknown, which is not the same as zero.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from modular_server.plugins.chargen.models import HERKUNFT_ARTEN

Status = Literal["frei", "gesperrt", "zurueckgerufen"]
HerkunftArt = Literal[HERKUNFT_ARTEN]  # type: ignore[valid-type]
Menge = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=3)]
Grund = Literal["gesperrt", "zurueckgerufen", "abgelaufen", "lagerort_gesperrt"]


def _check_dates(produktionsdatum: date | None, mhd: date | None) -> None:
    if produktionsdatum is not None and mhd is not None and mhd < produktionsdatum:
        raise ValueError("mhd lies before produktionsdatum")


class ChargeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    artikel_id: int
    nummer: str = Field(min_length=1, max_length=50)
    produktionsdatum: date | None = None
    mhd: date | None = None
    lieferant: str | None = Field(default=None, max_length=200)
    lieferanten_charge: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _dates(self) -> Self:
        _check_dates(self.produktionsdatum, self.mhd)
        return self


class ChargePatch(BaseModel):
    """Fields left out stay as they are. ``status`` changes only through sperren/freigeben/rueckruf."""

    model_config = ConfigDict(extra="forbid")

    nummer: str = Field(default=None, min_length=1, max_length=50)
    produktionsdatum: date | None = None
    mhd: date | None = None
    lieferant: str | None = Field(default=None, max_length=200)
    lieferanten_charge: str | None = Field(default=None, max_length=100)


class StatusAenderung(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grund: str | None = Field(default=None, max_length=500, description="carried in the domain event")


class ArtikelKurz(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    nummer: str
    name: str
    kategorie: str | None
    einheit_id: int
    chargenpflicht: bool
    aktiv: bool


class BestandSumme(BaseModel):
    menge: Decimal
    reserviert: Decimal
    verfuegbar: Decimal


class ChargeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    artikel_id: int
    nummer: str
    produktionsdatum: date | None
    mhd: date | None
    status: Status
    lieferant: str | None
    lieferanten_charge: str | None
    created_at: datetime
    updated_at: datetime
    artikel: ArtikelKurz
    bestand: BestandSumme | None = Field(default=None, description="totals over all lagerorte; null without lager")


class BestandAmOrt(BaseModel):
    lagerort_id: int
    lagerort_code: str
    lager_id: int
    lagerort_gesperrt: bool
    menge: Decimal
    reserviert: Decimal
    verfuegbar: Decimal


class OffeneReservierung(BaseModel):
    id: int
    lagerort_id: int
    menge: Decimal
    erfuellt: Decimal
    offen: Decimal
    referenz_typ: str | None
    referenz_id: str | None
    gueltig_bis: datetime | None
    created_at: datetime


class ChargeDetail(ChargeOut):
    lagerorte: list[BestandAmOrt] | None = Field(default=None, description="stock per lagerort; null without lager")
    reservierungen: list[OffeneReservierung] | None = Field(
        default=None, description="open (aktiv) reservations, oldest first, at most 500; null without reservierungen"
    )


class Ausgang(BaseModel):
    """An outgoing movement that carried the batch; ``storniert`` when a storno reversed it."""

    id: int
    menge: Decimal
    von_lagerort_id: int | None
    referenz_typ: str | None
    referenz_id: str | None
    created_at: datetime
    created_by: str
    storniert: bool


class RueckrufOut(BaseModel):
    charge: ChargeOut
    offene_reservierungen: list[OffeneReservierung] | None
    ausgaenge: list[Ausgang] | None


class HerkunftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parent_id: int = Field(description="the batch this one was made from")
    art: HerkunftArt
    menge: Menge | None = Field(default=None, description="quantity of the parent that went in")


class HerkunftOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int
    child_id: int
    art: str
    menge: Decimal | None
    created_at: datetime


class VerfolgteCharge(BaseModel):
    id: int
    nummer: str
    artikel_id: int
    artikel_nummer: str
    status: Status
    mhd: date | None
    tiefe: int = Field(description="genealogy levels from the requested batch (shortest path)")


class Kante(BaseModel):
    parent_id: int
    child_id: int
    art: str
    menge: Decimal | None


class VerfolgungOut(BaseModel):
    charge: ChargeOut
    tiefe: int
    vorfahren: list[VerfolgteCharge] = Field(description="backward: the batches this one was made from")
    nachfahren: list[VerfolgteCharge] = Field(description="forward: the batches made from this one")
    kanten: list[Kante]


class ChargeKurz(BaseModel):
    id: int
    nummer: str
    mhd: date | None
    status: Status


class Position(BaseModel):
    charge: ChargeKurz | None = Field(description="null for stock of an artikel without Chargenpflicht")
    lagerort_id: int
    lagerort_code: str
    lager_id: int
    menge: Decimal
    reserviert: Decimal
    verfuegbar: Decimal
    grund: Grund | None = Field(default=None, description="why the position is not available")


class VerfuegbarkeitOut(BaseModel):
    artikel: ArtikelKurz
    stichtag: date = Field(description="the day MHDs were compared with (UTC)")
    summe: BestandSumme | None = Field(description="over the available positions; null without lager")
    verfuegbar: list[Position] | None = Field(description="FEFO order: earliest MHD first, no MHD last")
    nicht_verfuegbar: list[Position] | None = Field(description="blocked, recalled, expired or at a blocked lagerort")


class AblaufMeldenIn(BaseModel):
    """Options of ``POST /chargen/ablaufend/melden`` (all optional, like the daily check's)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"tage": 14, "stichtag": "2026-03-02"}]})

    tage: int | None = Field(default=None, ge=1, le=3650, description="warning window; default: ablauf_warnung_tage")
    stichtag: date | None = Field(default=None, description="check as of this day instead of today (UTC)")


class AblaufMeldung(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"tage": 14, "gemeldet": 3}]})

    tage: int
    gemeldet: int
