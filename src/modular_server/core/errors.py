"""problem+json (RFC 9457) for every error: typed, with the failing fields, never a stack trace.

One problem ``type`` has one ``title`` everywhere: :data:`PROBLEM_TYPES` is the table (also
documented in docs/errors.md); a type not in it (a plugin's own) takes its title from its slug.
Field paths in ``errors[].field`` follow FastAPI's ``loc``: ``body.menge``, ``query.limit``,
``path.artikel_id``, ``header.Idempotency-Key``; a bare name is a member of the JSON body.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from modular_server.hooks.context import current_request

if TYPE_CHECKING:
    # The web framework is imported where an answer is built: the data layer raises these
    # problems from command-line tools (`keys`, `db`) that load no FastAPI.
    from fastapi import FastAPI, Request
    from starlette.responses import Response

log = logging.getLogger("modular_server.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "urn:modular-server:problem:"
FIELD_LOCATIONS = ("body", "query", "path", "header", "cookie")


@dataclass(frozen=True, slots=True)
class ProblemType:
    title: str
    status: int
    when: str
    members: str = ""


#: The core's problem types: slug -> title, status, when it is sent, extra members.
PROBLEM_TYPES: dict[str, ProblemType] = {
    "bad-request": ProblemType("Bad request", 400, "the request cannot be read (e.g. a body that is not JSON)"),
    "json-too-deep": ProblemType(
        "JSON nested too deeply", 400, "the JSON body is nested deeper than the parser allows"
    ),
    "bad-cursor": ProblemType(
        "Bad cursor",
        400,
        "a pagination cursor is malformed, tampered with, from another installation, or made for another list "
        "or other filters",
        "`errors`",
    ),
    "bad-idempotency-key": ProblemType("Bad Idempotency-Key", 400, "the Idempotency-Key header is empty or too long"),
    "unauthenticated": ProblemType(
        "Authentication required", 401, "no API key was sent (`Authorization: Bearer <key>` missing)"
    ),
    "invalid-api-key": ProblemType("Invalid API key", 401, "the API key sent is unknown, revoked or malformed"),
    "forbidden": ProblemType("Forbidden", 403, "the API key lacks the operation's scope", "`required_scope`"),
    "not-found": ProblemType(
        "Not found", 404, "no route, or no resource with that id", "`resource`, `id` (for a resource)"
    ),
    "method-not-allowed": ProblemType("Method not allowed", 405, "the route exists, the method does not"),
    "not-acceptable": ProblemType("Not acceptable", 406, "the Accept header excludes JSON"),
    "duplicate": ProblemType(
        "Duplicate", 409, "a value that must be unique is taken already", "`resource`, `field`, `errors`"
    ),
    "still-referenced": ProblemType(
        "Still referenced",
        409,
        "a row cannot be deleted while others point at it",
        "`resource`, `id`, `referenced_by`, `instead`",
    ),
    "integrity-conflict": ProblemType(
        "Integrity conflict", 409, "the database refused the change (a constraint), no value echoed", "`constraint`"
    ),
    "key-exists": ProblemType("API key exists", 409, "an API key with that name exists already"),
    "body-too-large": ProblemType("Body too large", 413, "the request body exceeds `max_body_bytes`", "`limit`"),
    "unsupported-media-type": ProblemType("Unsupported media type", 415, "the body's Content-Type is not accepted"),
    "validation-error": ProblemType(
        "Invalid request",
        422,
        "a field is missing, malformed or not acceptable",
        "`errors` (`field`, `reason`, `code`)",
    ),
    "value-out-of-range": ProblemType(
        "Value out of range",
        422,
        "a value is beyond what the database can store (an id beyond the column's range, a number too large)",
        "`errors` (the field, when it can be told)",
    ),
    "idempotency-key-reused": ProblemType(
        "Idempotency-Key reused", 422, "the Idempotency-Key was used before with a different request", "`errors`"
    ),
    "rate-limited": ProblemType(
        "Too many requests", 429, "the API key's rate limit is exhausted; see `Retry-After`", "`retry_after_seconds`"
    ),
    "internal-error": ProblemType("Internal error", 500, "a bug; quote `request_id` when reporting it"),
    "plugin-unavailable": ProblemType(
        "Plugin unavailable",
        503,
        "the route belongs to a plugin that is not serving; see `Retry-After`",
        "`plugin`, `state`, `hint`",
    ),
    "database-unavailable": ProblemType(
        "Database unavailable",
        503,
        "the connection to the database was lost or refused, or the pool is exhausted; see `Retry-After`",
    ),
    "database-statement-timeout": ProblemType(
        "Database statement timeout", 503, "a statement ran longer than the database allows; see `Retry-After`"
    ),
    "database-lock-timeout": ProblemType(
        "Database lock timeout",
        503,
        "a row or table lock was not granted in time (SQLite: the database stayed locked); see `Retry-After`",
    ),
    "database-busy": ProblemType(
        "Database busy",
        503,
        "a serialization failure or deadlock persisted through the retries; see `Retry-After`",
    ),
}


def title_of(slug: str, status: int) -> str:
    """The one title of a problem type: from :data:`PROBLEM_TYPES`, else made from the slug."""
    known = PROBLEM_TYPES.get(slug)
    if known is not None:
        return known.title
    if slug == _default_slug(status):
        return HTTPStatus(status).phrase
    return slug.replace("-", " ").capitalize()


def field_path(field: str, index: int | None = None) -> str:
    """``errors[].field`` in the one convention: a bare name is a member of the JSON body, and
    with the ``index`` of a batch item, a member of that item (``body.items.<index>.<name>``)."""
    if field == "(request)" or field.split(".", 1)[0] in FIELD_LOCATIONS:
        return field
    return f"body.{field}" if index is None else f"body.items.{index}.{field}"


def _normalized(error: dict[str, Any]) -> dict[str, Any]:
    if "field" not in error:
        return dict(error)
    index = error.get("index")
    return {**error, "field": field_path(str(error["field"]), index if isinstance(index, int) else None)}


class Problem(Exception):
    """Raise from services and routes to answer with a problem document.

    ``extra`` members are added to the document (e.g. ``available`` on a 409 over-reserve).
    The title follows from ``slug`` (see :data:`PROBLEM_TYPES`).
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug or _default_slug(status)
        self.title = title_of(self.slug, status)
        self.errors = list(errors) if errors else None
        self.headers = headers or {}
        self.extra = extra


class NotFound(Problem):
    def __init__(self, what: str, ident: Any) -> None:
        super().__init__(404, f"{what} {ident} does not exist", slug="not-found", resource=what, id=ident)


class Conflict(Problem):
    """409; ``slug`` is the machine-readable reason (the problem ``type``), required."""

    def __init__(self, detail: str, *, slug: str, **extra: Any) -> None:
        super().__init__(409, detail, slug=slug, **extra)


class Unprocessable(Problem):
    """422 for a value that is well-formed but not acceptable; ``field`` names where
    (``body.menge``, ``query.limit``; a bare name means a body member)."""

    def __init__(self, field: str, reason: str, **extra: Any) -> None:
        path = field_path(field)
        super().__init__(
            422, f"{path}: {reason}", slug="validation-error", errors=[{"field": path, "reason": reason}], **extra
        )


class DatabaseUnreachable(ConnectionError):
    """A connection to the database could not be opened (raised by the data layer's connect)."""


class DatabaseTimeout(TimeoutError):
    """The driver gave up waiting for a statement (asyncpg's ``command_timeout``)."""


def duplicate(resource: str, field: str, value: Any, *, within: str | None = None) -> Conflict:
    """The one 409 for "this value is taken": ``raise duplicate("artikel", "nummer", data.nummer)``.

    Body: ``type …:duplicate``, ``resource``, ``field``, and ``errors`` naming ``body.<field>``.
    ``within`` narrows the uniqueness (e.g. ``"artikel 7"`` for a batch number per artikel).
    """
    scope = f" for {within}" if within else ""
    return Conflict(
        f"{resource} with {field} {value!r} exists already{scope}",
        slug="duplicate",
        errors=[{"field": field_path(field), "reason": f"already taken{scope}"}],
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
    errors: Sequence[dict[str, Any]] | None = None,
    **extra: Any,
) -> bytes:
    ctx = current_request()
    slug = slug or _default_slug(status)
    document: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title_of(slug, status),
        "status": status,
        "detail": detail,
    }
    if ctx is not None:
        document["instance"] = ctx.path
        document["request_id"] = ctx.request_id
    if errors:
        document["errors"] = [_normalized(error) for error in errors]
    document.update(extra)
    return orjson.dumps(document, default=str)


def problem_response(status: int, detail: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Response:
    from starlette.responses import Response

    return Response(
        problem_body(status, detail, **kwargs), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def _from_problem(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc.status, exc.detail, exc.headers, slug=exc.slug, errors=exc.errors, **exc.extra)


def _from_http(_request: Request, exc: Exception) -> Response:
    from starlette.exceptions import HTTPException as StarletteHTTPException

    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, RecursionError):
        # FastAPI turns any failure of reading the JSON body into a generic 400
        return _from_recursion(_request, exc.__cause__)
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
    from fastapi.exceptions import RequestValidationError

    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc.errors())
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
    return problem_response(422, detail, slug="validation-error", errors=errors)


def _from_integrity(_request: Request, exc: Exception) -> Response:
    # The constraint's name says which rule was broken; values are never echoed.
    orig = getattr(exc, "orig", None)
    constraint = None
    # psycopg: orig.diag; asyncpg: the driver's error, which SQLAlchemy's adapter keeps as __cause__
    for error in (orig, getattr(orig, "__cause__", None)):
        constraint = constraint or getattr(getattr(error, "diag", None), "constraint_name", None)
        constraint = constraint or getattr(error, "constraint_name", None)
    log.info("integrity error: %s (SQLSTATE %s)", type(orig).__name__, sqlstate_of(exc))
    return problem_response(
        409,
        "the change conflicts with stored data" + (f" (constraint {constraint})" if constraint else ""),
        slug="integrity-conflict",
        constraint=constraint,
    )


# --- database errors by cause ---------------------------------------------------------------

# the range of PostgreSQL's INTEGER, the narrowest id column; a number outside it in the path or
# query is the likely cause of a "value out of range"
_INT4 = range(-(2**31), 2**31)
# SQLSTATEs of a connection that is gone or refused (class 08) and of a server going away
_UNAVAILABLE_SQLSTATES = {"53300", "57P01", "57P02", "57P03"}
_SERIALIZATION_SQLSTATES = {"40001", "40P01"}
# SQLite's errors carry no SQLSTATE; these messages mean the file cannot be used at all
_SQLITE_UNAVAILABLE = ("unable to open database file", "disk i/o error", "database disk image is malformed")


@dataclass(frozen=True, slots=True)
class DatabaseCause:
    slug: str
    status: int
    detail: str


_CAUSES = {
    "database-unavailable": DatabaseCause(
        "database-unavailable", 503, "the database is not reachable right now; retry later"
    ),
    "database-statement-timeout": DatabaseCause(
        "database-statement-timeout", 503, "a database statement took too long and was cancelled; retry later"
    ),
    "database-lock-timeout": DatabaseCause(
        "database-lock-timeout", 503, "the data is locked by another transaction; retry later"
    ),
    "database-busy": DatabaseCause(
        "database-busy", 503, "concurrent changes kept conflicting with this one; retry later"
    ),
    "value-out-of-range": DatabaseCause(
        "value-out-of-range", 422, "a value is out of the range the database can store"
    ),
}


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error (asyncpg keeps it on the adapter's error and its cause)."""
    orig = getattr(exc, "orig", None)
    for error in (orig, getattr(orig, "__cause__", None)):
        code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if code:
            return str(code)
    return None


def database_cause(exc: BaseException) -> DatabaseCause | None:
    """What a database error means for the client; None for a bug (an unexpected statement error)."""
    if isinstance(exc, DatabaseTimeout):
        return _CAUSES["database-statement-timeout"]
    if isinstance(exc, PoolTimeoutError | DatabaseUnreachable | OverflowError):
        return _CAUSES["value-out-of-range" if isinstance(exc, OverflowError) else "database-unavailable"]
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    code = sqlstate_of(exc) or ""
    text = str(orig).lower()
    if exc.connection_invalidated or code.startswith("08") or code in _UNAVAILABLE_SQLSTATES:
        return _CAUSES["database-unavailable"]
    if isinstance(orig, OSError) or isinstance(getattr(orig, "__cause__", None), OSError):
        return _CAUSES["database-unavailable"]
    if code == "57014":
        return _CAUSES["database-statement-timeout"]
    if code == "55P03" or "database is locked" in text:
        return _CAUSES["database-lock-timeout"]
    if code in _SERIALIZATION_SQLSTATES or "deadlock" in text or "could not serialize" in text:
        return _CAUSES["database-busy"]
    if code.startswith("22") or isinstance(getattr(orig, "__cause__", None), ValueError):
        # class 22 (data exception), or asyncpg refusing to encode a parameter (its DataError)
        return _CAUSES["value-out-of-range"]
    if any(marker in text for marker in _SQLITE_UNAVAILABLE) or "too large to convert" in text:
        return _CAUSES["value-out-of-range" if "too large" in text else "database-unavailable"]
    return None


def _out_of_range_fields() -> list[dict[str, Any]]:
    """The path and query values that no id column can hold (the field of a value-out-of-range)."""
    ctx = current_request()
    if ctx is None:
        return []
    given = [(f"path.{name}", value) for name, value in ctx.path_params.items()]
    given += [(f"query.{name}", value) for name, value in _query_items(ctx.query_string)]
    found = []
    for field, value in given:
        try:
            number = int(str(value))
        except ValueError:
            continue
        if number not in _INT4:
            found.append({"field": field, "reason": "out of the range the database can store"})
    return found


def _query_items(query_string: bytes) -> list[tuple[str, str]]:
    return parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)


def _from_database_error(_request: Request, exc: Exception) -> Response:
    cause = database_cause(exc)
    orig = getattr(exc, "orig", None) or exc.__cause__ or exc
    # the driver's own class (asyncpg's sits behind SQLAlchemy's adapter), e.g. QueryCanceledError
    driver = getattr(orig, "__cause__", None) or orig
    # names the cause: classes and SQLSTATE, never the statement's parameters
    named = f"{type(exc).__name__}/{type(driver).__name__} (SQLSTATE {sqlstate_of(exc) or '-'})"
    if cause is None:
        ctx = current_request()
        log.error("database error %s in request %s", named, ctx.request_id if ctx else "-")
        return problem_response(500, "internal error; quote the request_id when reporting it", slug="internal-error")
    if cause.status == 422:
        log.info("bad input refused by the database: %s", named)
        return problem_response(422, cause.detail, slug=cause.slug, errors=_out_of_range_fields())
    log.error("%s: %s", cause.slug, named)
    return problem_response(cause.status, cause.detail, headers={"Retry-After": "2"}, slug=cause.slug)


def _from_recursion(_request: Request, exc: Exception) -> Response:
    return problem_response(400, "the JSON body is nested too deeply", slug="json-too-deep")


def _from_unexpected(_request: Request, exc: Exception) -> Response:
    ctx = current_request()
    log.exception("unhandled error in request %s", ctx.request_id if ctx else "-", exc_info=exc)
    return problem_response(500, "internal error; quote the request_id when reporting it", slug="internal-error")


def install_error_handlers(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    app.add_exception_handler(Problem, _from_problem)
    app.add_exception_handler(StarletteHTTPException, _from_http)
    app.add_exception_handler(RequestValidationError, _from_validation)
    app.add_exception_handler(IntegrityError, _from_integrity)
    # every other driver error by its cause; an OSError that is not the database's is a 500
    app.add_exception_handler(DBAPIError, _from_database_error)
    app.add_exception_handler(PoolTimeoutError, _from_database_error)
    app.add_exception_handler(DatabaseUnreachable, _from_database_error)
    app.add_exception_handler(DatabaseTimeout, _from_database_error)
    app.add_exception_handler(OverflowError, _from_database_error)
    app.add_exception_handler(RecursionError, _from_recursion)
    app.add_exception_handler(Exception, _from_unexpected)
