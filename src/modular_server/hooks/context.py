"""Objects handed to the runtime hooks."""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from fastapi import FastAPI


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the API key's name and its scopes."""

    name: str
    scopes: frozenset[str]
    key_id: int | None = None

    def has(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(slots=True)
class RequestContext:
    """Per-request state, reachable anywhere through :func:`current_request`.

    The core fills the identity, route and database figures; plugins keep their own
    per-request data in ``extras[plugin_name]``.
    """

    app: FastAPI
    request_id: str
    method: str
    path: str
    query_string: bytes = b""
    route: str | None = None
    path_params: dict[str, Any] = field(default_factory=dict)
    endpoint: Any = None
    plugin: str | None = None
    principal: Principal | None = None
    started: float = field(default_factory=time.perf_counter)
    db_statements: int = 0
    db_time: float = 0.0
    status_code: int | None = None
    cache_status: str | None = None
    #: set by a plugin (the cache) that needs the whole body in ``before_response``
    buffer_response: bool = False
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


@dataclass(slots=True)
class ResponseInfo:
    """The response as it leaves the app. Observers of ``before_response`` may change it."""

    status: int
    headers: list[tuple[bytes, bytes]]
    #: the whole body when the response was buffered (``ctx.buffer_response``), else None
    body: bytes | None = None

    def header(self, name: str) -> str | None:
        key = name.lower().encode("latin-1")
        for k, v in self.headers:
            if k.lower() == key:
                return v.decode("latin-1")
        return None

    def set_header(self, name: str, value: str) -> None:
        key = name.lower().encode("latin-1")
        self.headers = [(k, v) for k, v in self.headers if k.lower() != key]
        self.headers.append((key, value.encode("latin-1")))


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """What a ``lookup_response`` gate returns to answer without running the handler."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass(frozen=True, slots=True)
class QueryInfo:
    """One executed SQL statement. Parameter values are absent unless explicitly allowed."""

    fingerprint: str
    statement: str
    duration: float
    rowcount: int
    is_select: bool
    executemany: bool
    dialect: str
    parameters: Any = None


Operation = Literal["insert", "update", "delete"]


@dataclass(frozen=True, slots=True)
class Change:
    """One committed change. ``pk`` is None for a bulk statement reported at table level.

    ``related`` carries the row's foreign-key values (e.g. a Bestand row: charge_id,
    artikel_id, lagerort_id) so that observers can derive what else the change touches.
    """

    table: str
    op: Operation
    pk: tuple[Any, ...] | None = None
    related: dict[str, Any] = field(default_factory=dict)

    @property
    def bulk(self) -> bool:
        return self.pk is None


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """A business event, delivered after the transaction that raised it has committed."""

    type: str
    payload: dict[str, Any]
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    severity: Literal["info", "warning", "critical"] = "info"


_current_request: ContextVar[RequestContext | None] = ContextVar("modular_server_request", default=None)


def current_request() -> RequestContext | None:
    """The context of the request being served, or None outside a request."""
    return _current_request.get()
