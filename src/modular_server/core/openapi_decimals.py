"""Exact decimals (quantities, factors) whose OpenAPI schema states the limits the model checks.

pydantic describes a ``Decimal`` as "any number or any string", while it refuses more places or
digits than the column stores and, with ``gt=0``, zero: a client generator and a fuzzer take the
description at its word and get 422. :func:`exact_decimal` gives a field both: the validation and
a schema with the same limits, a whole number or a decimal string with at most ``places`` places
(the model still accepts a JSON fraction such as ``10.5``, which the schema leaves out)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema


def _positive_fraction(places: int) -> str:
    """``0.`` and up to ``places`` digits, one of them other than 0 (no look-ahead: generators of
    test data read the pattern too)."""
    return "|".join("0" * zeros + f"[1-9][0-9]{{0,{places - zeros - 1}}}" for zeros in range(places))


def decimal_json_schema(places: int, digits: int = 18, *, positive: bool) -> dict[str, Any]:
    """The schema of a decimal with ``digits`` digits in all, ``places`` of them after the point,
    that is greater than 0 (``positive``) or not negative."""
    whole = digits - places
    fraction = rf"(?:\.[0-9]{{1,{places}}})?"
    if positive:
        text = rf"^(?:[1-9][0-9]{{0,{whole - 1}}}{fraction}|0\.(?:{_positive_fraction(places)}))$"
    else:
        text = rf"^(?:0|[1-9][0-9]{{0,{whole - 1}}}){fraction}$"
    return {
        "anyOf": [
            {"type": "integer", "minimum": 1 if positive else 0, "maximum": 10**whole - 1},
            {"type": "string", "pattern": text},
        ]
    }


def exact_decimal(places: int, digits: int = 18, *, positive: bool) -> Any:
    """A ``Decimal`` field type: greater than 0 (``positive``) or not negative, at most ``digits``
    digits with ``places`` after the point, and an OpenAPI schema that says so."""
    limit = {"gt": 0} if positive else {"ge": 0}
    return Annotated[
        Decimal,
        Field(max_digits=digits, decimal_places=places, **limit),
        WithJsonSchema(decimal_json_schema(places, digits, positive=positive)),
    ]
