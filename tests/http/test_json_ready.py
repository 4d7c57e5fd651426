"""``json_ready``: what a write answers and what an idempotency key is bound to must stay
byte for byte what ``jsonable_encoder`` gave (stored answers are replayed, stored request
hashes compared), while a pydantic model is dumped in pydantic's core at once."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field

import modular_server.plugins
from modular_server.core.idempotency import json_ready


class Farbe(StrEnum):
    rot = "rot"


class Innen(BaseModel):
    menge: Decimal
    wann: datetime


class Tricky(BaseModel):
    betrag: Decimal
    klein: Decimal
    riesig: int
    anteil: float
    tag: date
    utc: datetime
    versetzt: datetime
    naiv: datetime
    dauer: timedelta
    farbe: Farbe
    name_mit_alias: str = Field(alias="nameMitAlias")
    fehlt: str | None = None
    liste: list[Innen]
    nach_zahl: dict[int, str]
    text: str


def documented_examples() -> list[tuple[str, BaseModel]]:
    """Every model of a first-party plugin's schemas with an example, validated from it."""
    found = []
    for module_info in pkgutil.iter_modules(modular_server.plugins.__path__):
        try:
            schemas = importlib.import_module(f"modular_server.plugins.{module_info.name}.schemas")
        except ModuleNotFoundError:
            continue
        for name, model in inspect.getmembers(schemas, inspect.isclass):
            if not issubclass(model, BaseModel) or model.__module__ != schemas.__name__:
                continue
            extra = model.model_config.get("json_schema_extra")
            for example in (extra or {}).get("examples", []) if isinstance(extra, dict) else []:
                found.append((f"{module_info.name}.{name}", model.model_validate(example)))
    return found


def same_bytes(value: Any) -> None:
    """Same values of the same types in the same key order (the standard library's encoder:
    it takes integers beyond 64 bits, which orjson refuses)."""
    assert json.dumps(json_ready(value), ensure_ascii=False) == json.dumps(jsonable_encoder(value), ensure_ascii=False)


def test_a_model_of_every_awkward_type_dumps_as_jsonable_encoder_gives_it() -> None:
    moment = datetime(2026, 12, 2, 5, 30, 0, 123456, tzinfo=UTC)
    same_bytes(
        Tricky(
            betrag=Decimal("1E+3"),
            klein=Decimal("0.000001250"),
            riesig=2**70,
            anteil=1e-7,
            tag=date(2026, 2, 28),
            utc=moment,
            versetzt=moment.astimezone(timezone(timedelta(hours=-3, minutes=-30))),
            naiv=moment.replace(tzinfo=None),
            dauer=timedelta(days=1, microseconds=5),
            farbe=Farbe.rot,
            nameMitAlias="ä ö ü ß 😀 \u2028",
            liste=[Innen(menge=Decimal("-0.5"), wann=moment), Innen(menge=Decimal(0), wann=moment)],
            nach_zahl={1: "eins", 20: "zwanzig"},
            text='quote " backslash \\ newline \n',
        )
    )


@pytest.mark.parametrize(("name", "model"), documented_examples(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_documented_model_dumps_as_jsonable_encoder_gives_it(name: str, model: BaseModel) -> None:
    same_bytes(model)


def test_other_values_go_through_jsonable_encoder() -> None:
    value = {"items": [Innen(menge=Decimal("2.5"), wann=datetime(2026, 1, 1, tzinfo=UTC))], "n": None}
    assert json_ready(value) == jsonable_encoder(value)
    assert len(documented_examples()) >= 10  # the walk finds the plugins' schemas
