"""Keyset pagination: ``limit`` (default 50, max 500) and an opaque, signed ``cursor``.

A cursor holds the sort key of the last row of a page; the next page starts after it, so a
deep page costs what the first page costs (no OFFSET). Cursors are signed with the server's
secret and bound to their list: the path and its filters (every query parameter but ``cursor``
and ``limit``). A tampered or foreign cursor, or one made for another list or other filters, is
refused with 400 ``bad-cursor``, never fed into SQL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Depends, Query, Request
from pydantic import BaseModel

from modular_server.core.errors import Problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# the query parameters of the page itself; every other one is a filter a cursor is bound to
PAGE_PARAMETERS = frozenset({"cursor", "limit"})
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def _signature(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).digest()[:12]


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        if "d" in value:
            return date.fromisoformat(value["d"])
        if "n" in value:
            return Decimal(value["n"])
    return value


class Cursors:
    """Signs and checks cursors with the app's secret key."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def encode(self, scope: str, key: Sequence[Any], binding: str = "") -> str:
        payload = orjson.dumps([scope, binding, [_encode_value(v) for v in key]])
        token = payload + _signature(self._secret, payload)
        return base64.urlsafe_b64encode(token).decode().rstrip("=")

    def decode(self, scope: str, cursor: str, binding: str = "") -> list[Any]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload, signature = raw[:-12], raw[-12:]
            if not hmac.compare_digest(signature, _signature(self._secret, payload)):
                raise ValueError("bad signature (tampered with, or made by another installation)")
            found_scope, found_binding, key = orjson.loads(payload)
            if found_scope != scope:
                raise ValueError("cursor of another list")
            if found_binding != binding:
                raise ValueError("cursor made for another list or other filters")
            return [_decode_value(v) for v in key]
        except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
            raise Problem(
                400,
                "the cursor is malformed, tampered with, or belongs to another list or other filters",
                slug="bad-cursor",
                errors=[{"field": "query.cursor", "reason": str(exc) or "invalid"}],
            ) from exc


def list_binding(path: str, query: Sequence[tuple[str, str]]) -> str:
    """What a cursor is bound to: the path and the filters (query parameters but the page's own)."""
    filters = sorted((name, value) for name, value in query if name not in PAGE_PARAMETERS)
    return hashlib.sha256(orjson.dumps([path, filters])).hexdigest()[:16]


class PageRequest(BaseModel):
    limit: int
    cursor: str | None
    cursors: Any
    #: the list and filters the cursors of this request are bound to (see :func:`list_binding`)
    binding: str = ""

    def after(self, scope: str) -> list[Any] | None:
        """The sort key to start after, or None for the first page."""
        return None if self.cursor is None else self.cursors.decode(scope, self.cursor, self.binding)

    def page(self, scope: str, rows: Sequence[T], key: Any) -> tuple[list[T], str | None]:
        """Cut ``rows`` (fetched with ``limit + 1``) to the page and build the next cursor.

        ``key(row)`` returns the row's sort key as a sequence.
        """
        items = list(rows[: self.limit])
        more = len(rows) > self.limit
        return items, self.cursors.encode(scope, key(items[-1]), self.binding) if more and items else None


async def page_request(  # async: a plain def would cost every list a hop to the thread pool
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size (max {MAX_LIMIT})")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512, description="next_cursor of the previous page")] = None,
) -> PageRequest:
    return PageRequest(
        limit=limit,
        cursor=cursor,
        cursors=request.app.state.cursors,
        binding=list_binding(request.url.path, request.query_params.multi_items()),
    )


Pagination = Annotated[PageRequest, Depends(page_request)]
