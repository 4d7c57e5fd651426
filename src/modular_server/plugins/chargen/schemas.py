"""Request and response bodies of the chargen plugin.

Stock and reservation fields are ``null`` while the plugin that owns them (lager,
reservierungen) is not serving: unknown, which is not the same as zero.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from modular_server.plugin import exact_decimal
from modular_server.plugins.chargen.models import HERKUNFT_ARTEN

Status = Literal["frei", "gesperrt", "zurueckgerufen"]
HerkunftArt = Literal[HERKUNFT_ARTEN]  # type: ignore[valid-type]
#: the largest id of an INTEGER column on PostgreSQL (charge)
INT4_MAX = 2**31 - 1
Menge = exact_decimal(3, positive=True)
Grund = Literal["gesperrt", "zurueckgerufen", "abgelaufen", "lagerort_gesperrt"]

ARTIKEL_KURZ_EXAMPLE = {
    "id": 1,
    "nummer": "MEHL-405",
    "name": "Weizenmehl Type 405",
    "kategorie": "Rohstoffe",
    "einheit_id": 1,
    "chargenpflicht": True,
    "aktiv": True,
}
SUMME_EXAMPLE = {"menge": "120.000", "reserviert": "20.000", "verfuegbar": "100.000"}
CHARGE_EXAMPLE = {
    "id": 4,
    "artikel_id": 1,
    "nummer": "L2026-0815",
    "produktionsdatum": "2026-02-20",
    "mhd": "2026-08-20",
    "status": "frei",
    "lieferant": "Mühle Nord GmbH",
    "lieferanten_charge": "MN-4711",
    "created_at": "2026-03-02T08:05:00Z",
    "updated_at": "2026-03-02T08:05:00Z",
    "artikel": ARTIKEL_KURZ_EXAMPLE,
    "bestand": SUMME_EXAMPLE,
}
OFFENE_RESERVIERUNG_EXAMPLE = {
    "id": 17,
    "lagerort_id": 3,
    "menge": "20.000",
    "erfuellt": "0.000",
    "offen": "20.000",
    "referenz_typ": "auftrag",
    "referenz_id": "AU-2026-0042",
    "gueltig_bis": "2026-03-09T16:00:00Z",
    "created_at": "2026-03-02T09:30:00Z",
}
AUSGANG_EXAMPLE = {
    "id": 1050,
    "menge": "5.000",
    "von_lagerort_id": 3,
    "referenz_typ": "lieferschein",
    "referenz_id": "LS-2026-0901",
    "created_at": "2026-03-03T10:00:00Z",
    "created_by": "versand",
    "storniert": False,
}


def _examples(*values: object) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(values)})


def _check_dates(produktionsdatum: date | None, mhd: date | None) -> None:
    if produktionsdatum is not None and mhd is not None and mhd < produktionsdatum:
        raise ValueError("mhd lies before produktionsdatum")


class ChargeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "artikel_id": 1,
                    "nummer": "L2026-0815",
                    "produktionsdatum": "2026-02-20",
                    "mhd": "2026-08-20",
                    "lieferant": "Mühle Nord GmbH",
                    "lieferanten_charge": "MN-4711",
                }
            ]
        },
    )

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

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"mhd": "2026-09-01"}]})

    nummer: str = Field(default=None, min_length=1, max_length=50)
    produktionsdatum: date | None = None
    mhd: date | None = None
    lieferant: str | None = Field(default=None, max_length=200)
    lieferanten_charge: str | None = Field(default=None, max_length=100)


class StatusAenderung(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"grund": "Laborbefund ausstehend"}]})

    grund: str | None = Field(default=None, max_length=500, description="carried in the domain event")


class ArtikelKurz(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [ARTIKEL_KURZ_EXAMPLE]})

    id: int
    nummer: str
    name: str
    kategorie: str | None
    einheit_id: int
    chargenpflicht: bool
    aktiv: bool


class BestandSumme(BaseModel):
    model_config = _examples(SUMME_EXAMPLE)

    menge: Decimal
    reserviert: Decimal
    verfuegbar: Decimal


class ChargeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [CHARGE_EXAMPLE]})

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
    model_config = _examples(
        {
            "lagerort_id": 3,
            "lagerort_code": "R01-F03",
            "lager_id": 1,
            "lagerort_gesperrt": False,
            **SUMME_EXAMPLE,
        }
    )

    lagerort_id: int
    lagerort_code: str
    lager_id: int
    lagerort_gesperrt: bool
    menge: Decimal
    reserviert: Decimal
    verfuegbar: Decimal


class OffeneReservierung(BaseModel):
    model_config = _examples(OFFENE_RESERVIERUNG_EXAMPLE)

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
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **CHARGE_EXAMPLE,
                    "lagerorte": [
                        {"lagerort_id": 3, "lagerort_code": "R01-F03", "lager_id": 1, "lagerort_gesperrt": False}
                        | SUMME_EXAMPLE
                    ],
                    "reservierungen": [OFFENE_RESERVIERUNG_EXAMPLE],
                }
            ]
        },
    )

    lagerorte: list[BestandAmOrt] | None = Field(default=None, description="stock per lagerort; null without lager")
    reservierungen: list[OffeneReservierung] | None = Field(
        default=None, description="open (aktiv) reservations, oldest first, at most 500; null without reservierungen"
    )


class Ausgang(BaseModel):
    """An outgoing movement that carried the batch; ``storniert`` when a storno reversed it."""

    model_config = _examples(AUSGANG_EXAMPLE)

    id: int
    menge: Decimal
    von_lagerort_id: int | None
    referenz_typ: str | None
    referenz_id: str | None
    created_at: datetime
    created_by: str
    storniert: bool


class RueckrufOut(BaseModel):
    model_config = _examples(
        {
            "charge": {**CHARGE_EXAMPLE, "status": "zurueckgerufen"},
            "offene_reservierungen": [OFFENE_RESERVIERUNG_EXAMPLE],
            "ausgaenge": [AUSGANG_EXAMPLE],
        }
    )

    charge: ChargeOut
    offene_reservierungen: list[OffeneReservierung] | None
    ausgaenge: list[Ausgang] | None


class HerkunftIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"parent_id": 2, "art": "produktion", "menge": "25"}]}
    )

    parent_id: int = Field(gt=0, le=INT4_MAX, description="the batch this one was made from")
    art: HerkunftArt
    menge: Menge | None = Field(default=None, description="quantity of the parent that went in")


class HerkunftOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 9,
                    "parent_id": 2,
                    "child_id": 4,
                    "art": "produktion",
                    "menge": "25.000",
                    "created_at": "2026-03-02T08:10:00Z",
                }
            ]
        },
    )

    id: int
    parent_id: int
    child_id: int
    art: HerkunftArt
    menge: Decimal | None
    created_at: datetime


class VerfolgteCharge(BaseModel):
    model_config = _examples(
        {
            "id": 2,
            "nummer": "WZ-2026-031",
            "artikel_id": 7,
            "artikel_nummer": "WEIZEN-A",
            "status": "frei",
            "mhd": "2027-01-31",
            "tiefe": 1,
        }
    )

    id: int
    nummer: str
    artikel_id: int
    artikel_nummer: str
    status: Status
    mhd: date | None
    tiefe: int = Field(description="genealogy levels from the requested batch (shortest path)")


class Kante(BaseModel):
    model_config = _examples({"parent_id": 2, "child_id": 4, "art": "produktion", "menge": "25.000"})

    parent_id: int
    child_id: int
    art: HerkunftArt
    menge: Decimal | None


class VerfolgungOut(BaseModel):
    model_config = _examples(
        {
            "charge": CHARGE_EXAMPLE,
            "tiefe": 5,
            "vorfahren": [
                {
                    "id": 2,
                    "nummer": "WZ-2026-031",
                    "artikel_id": 7,
                    "artikel_nummer": "WEIZEN-A",
                    "status": "frei",
                    "mhd": "2027-01-31",
                    "tiefe": 1,
                }
            ],
            "nachfahren": [],
            "kanten": [{"parent_id": 2, "child_id": 4, "art": "produktion", "menge": "25.000"}],
        }
    )

    charge: ChargeOut
    tiefe: int
    vorfahren: list[VerfolgteCharge] = Field(description="backward: the batches this one was made from")
    nachfahren: list[VerfolgteCharge] = Field(description="forward: the batches made from this one")
    kanten: list[Kante]


class ChargeKurz(BaseModel):
    model_config = _examples({"id": 4, "nummer": "L2026-0815", "mhd": "2026-08-20", "status": "frei"})

    id: int
    nummer: str
    mhd: date | None
    status: Status


POSITION_EXAMPLE = {
    "charge": {"id": 4, "nummer": "L2026-0815", "mhd": "2026-08-20", "status": "frei"},
    "lagerort_id": 3,
    "lagerort_code": "R01-F03",
    "lager_id": 1,
    **SUMME_EXAMPLE,
    "grund": None,
}


class Position(BaseModel):
    model_config = _examples(POSITION_EXAMPLE)

    charge: ChargeKurz | None = Field(description="null for stock of an artikel without Chargenpflicht")
    lagerort_id: int
    lagerort_code: str
    lager_id: int
    menge: Decimal
    reserviert: Decimal
    verfuegbar: Decimal
    grund: Grund | None = Field(default=None, description="why the position is not available")


class VerfuegbarkeitOut(BaseModel):
    model_config = _examples(
        {
            "artikel": ARTIKEL_KURZ_EXAMPLE,
            "stichtag": "2026-03-02",
            "summe": SUMME_EXAMPLE,
            "verfuegbar": [POSITION_EXAMPLE],
            "nicht_verfuegbar": [],
        }
    )

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
