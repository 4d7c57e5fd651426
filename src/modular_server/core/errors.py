"""problem+json (RFC 9457) for every error: typed, with the failing fields, never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from modular_server.hooks.context import current_request

log = logging.getLogger("modular_server.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "urn:modular-server:problem:"


class Problem(Exception):
    """Raise from services and routes to answer with a problem document.

    ``extra`` members are added to the document (e.g. ``available`` on a 409 over-reserve).
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug or _default_slug(status)
        self.title = title or HTTPStatus(status).phrase
        self.errors = list(errors) if errors else None
        self.headers = headers or {}
        self.extra = extra


class NotFound(Problem):
    def __init__(self, what: str, ident: Any) -> None:
        super().__init__(404, f"{what} {ident} does not exist", slug="not-found", resource=what, id=ident)


class Conflict(Problem):
    def __init__(self, detail: str, *, slug: str = "conflict", **extra: Any) -> None:
        super().__init__(409, detail, slug=slug, **extra)


class Unprocessable(Problem):
    """422 for a value that is well-formed but not acceptable; ``field`` names where."""

    def __init__(self, field: str, reason: str, **extra: Any) -> None:
        super().__init__(
            422, f"{field}: {reason}", slug="validation-error", errors=[{"field": field, "reason": reason}], **extra
        )


def duplicate(resource: str, field: str, value: Any, *, within: str | None = None) -> Conflict:
    """The one 409 for "this value is taken": ``raise duplicate("artikel", "nummer", data.nummer)``.

    Body: ``type …:duplicate``, ``resource``, ``field``, and ``errors`` naming ``body.<field>``.
    ``within`` narrows the uniqueness (e.g. ``"artikel 7"`` for a batch number per artikel).
    """
    scope = f" for {within}" if within else ""
    return Conflict(
        f"{resource} with {field} {value!r} exists already{scope}",
        slug="duplicate",
        errors=[{"field": f"body.{field}", "reason": f"already taken{scope}"}],
        resource=resource,
        field=field,
    )


def still_referenced(resource: str, ident: Any, by: Sequence[str], *, instead: str | None = None) -> Conflict:
    """The one 409 for "cannot delete, other rows point at it".

    Body: ``type …:still-referenced``, ``resource``, ``id``, ``referenced_by`` (what may point at
    it) and, when given, ``instead`` (what to do rather than delete), also said in ``detail``.
    """
    detail = f"{resource} {ident} is still referenced ({', '.join(by)})"
    if instead:
        detail += f"; {instead}"
    return Conflict(
        detail, slug="still-referenced", resource=resource, id=ident, referenced_by=list(by), instead=instead
    )


def _default_slug(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")


def problem_body(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    errors: Sequence[dict[str, Any]] | None = None,
    **extra: Any,
) -> bytes:
    ctx = current_request()
    document: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or _default_slug(status)),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if ctx is not None:
        document["instance"] = ctx.path
        document["request_id"] = ctx.request_id
    if errors:
        document["errors"] = list(errors)
    document.update(extra)
    return orjson.dumps(document, default=str)


def problem_response(status: int, detail: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Response:
    return Response(
        problem_body(status, detail, **kwargs), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def _from_problem(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(
        exc.status, exc.detail, exc.headers, slug=exc.slug, title=exc.title, errors=exc.errors, **exc.extra
    )


def _from_http(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return problem_response(exc.status_code, detail, dict(exc.headers or {}))


def validation_errors(raw: Sequence[Any]) -> list[dict[str, Any]]:
    """pydantic/FastAPI errors as ``{"field": "body.items.0.menge", "reason": "..."}``."""
    found = []
    for error in raw:
        loc = [str(p) for p in error.get("loc", ())]
        found.append(
            {"field": ".".join(loc) or "(request)", "reason": error.get("msg", "invalid"), "code": error.get("type")}
        )
    return found


def _from_validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc.errors())
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
    return problem_response(422, detail, slug="validation-error", title="Invalid request", errors=errors)


def _from_integrity(_request: Request, exc: Exception) -> Response:
    # The constraint's name says which rule was broken; values are never echoed.
    orig = getattr(exc, "orig", None)
    constraint = None
    # psycopg: orig.diag; asyncpg: the driver's error, which SQLAlchemy's adapter keeps as __cause__
    for error in (orig, getattr(orig, "__cause__", None)):
        constraint = constraint or getattr(getattr(error, "diag", None), "constraint_name", None)
        constraint = constraint or getattr(error, "constraint_name", None)
    log.info("integrity error: %s", type(orig).__name__)
    return problem_response(
        409,
        "the change conflicts with stored data" + (f" (constraint {constraint})" if constraint else ""),
        slug="integrity-conflict",
        constraint=constraint,
    )


def _from_out_of_range(_request: Request, exc: Exception) -> Response:
    # a value the database cannot hold (an id beyond BIGINT, a number beyond NUMERIC(18,3))
    return problem_response(422, "a value is out of the range the database can store", slug="value-out-of-range")


def _from_database_unavailable(_request: Request, exc: Exception) -> Response:
    log.error("database unavailable: %s", type(exc).__name__)
    return problem_response(
        503,
        "the database is not reachable right now; retry later",
        slug="database-unavailable",
        headers={"Retry-After": "2"},
    )


def _from_recursion(_request: Request, exc: Exception) -> Response:
    return problem_response(400, "the JSON body is nested too deeply", slug="json-too-deep")


def _from_unexpected(_request: Request, exc: Exception) -> Response:
    ctx = current_request()
    log.exception("unhandled error in request %s", ctx.request_id if ctx else "-", exc_info=exc)
    return problem_response(500, "internal error; quote the request_id when reporting it", slug="internal-error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _from_problem)
    app.add_exception_handler(StarletteHTTPException, _from_http)
    app.add_exception_handler(RequestValidationError, _from_validation)
    app.add_exception_handler(IntegrityError, _from_integrity)
    app.add_exception_handler(DataError, _from_out_of_range)
    app.add_exception_handler(OverflowError, _from_out_of_range)
    app.add_exception_handler(OperationalError, _from_database_unavailable)
    app.add_exception_handler(PoolTimeoutError, _from_database_unavailable)
    app.add_exception_handler(DBAPIError, _from_database_unavailable)
    app.add_exception_handler(ConnectionError, _from_database_unavailable)
    app.add_exception_handler(OSError, _from_database_unavailable)
    app.add_exception_handler(RecursionError, _from_recursion)
    app.add_exception_handler(Exception, _from_unexpected)
