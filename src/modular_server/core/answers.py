"""Answers built from rows of our own database, serialised once.

A read endpoint keeps its pydantic model as the documented schema (``response_model=`` on the
route, so OpenAPI and the generated client are unchanged) and returns a :class:`JsonAnswer`
of plain dicts. FastAPI sends a returned response as it is: the rows are neither validated
against the model nor serialised a second time - on a 100-row page that was most of the
request's own CPU. The dicts must carry the model's fields in the model's order; the bytes
then equal what FastAPI sends for the validated model (compact UTF-8 JSON, ``Decimal`` as its
string, UTC datetimes with ``Z``), which the plugins' tests compare.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response

# pydantic's JSON form of a UTC datetime ends in "Z", not "+00:00"
_OPTIONS = orjson.OPT_UTC_Z


def _default(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)  # pydantic's JSON form of a Decimal: its exact string, never a float
    raise TypeError(f"{type(value).__name__} is not JSON serialisable here")


def json_bytes(document: Any) -> bytes:
    """``document`` as the JSON bytes a pydantic model with the same values serialises to."""
    return orjson.dumps(document, default=_default, option=_OPTIONS)


class JsonAnswer(Response):
    """``JsonAnswer(document)``: a 200 ``application/json`` answer of :func:`json_bytes`."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json_bytes(content)
