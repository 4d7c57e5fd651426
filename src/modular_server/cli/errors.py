"""Exceptions that end a command, turned into one line for the operator."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from modular_server.settings import Settings

# SQLSTATE of PostgreSQL's "database does not exist"
_INVALID_CATALOG_NAME = "3D000"


def database_error(exc: BaseException, settings: Settings) -> str | None:
    """A one-line explanation with a fix when ``exc`` means the database cannot be used;
    None for anything else."""
    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        return None
    where = url.render_as_string(hide_password=True)
    cause = getattr(exc, "orig", None) or exc
    # asyncpg's own exception sits behind SQLAlchemy's adapter
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause.__cause__, "sqlstate", None)
    if sqlstate == _INVALID_CATALOG_NAME:
        return (
            f"the PostgreSQL database {url.database!r} does not exist ({where}); create it: "
            f'`createdb {url.database}` or CREATE DATABASE "{url.database}"; then `modular-server db upgrade`'
        )
    if isinstance(exc, OSError):
        return (
            f"cannot reach the database at {where}: {type(exc).__name__}: {exc}; "
            "is the server running, and are MODULAR_SERVER_DATABASE_URL's host and port right?"
        )
    if isinstance(exc, DBAPIError):
        text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        if settings.is_sqlite and "unable to open database file" in text:
            return f"cannot open the SQLite database {url.database!r}: does its folder exist and is it writable?"
        if exc.connection_invalidated or "connect" in text.lower() or "password" in text.lower():
            return f"cannot use the database at {where}: {text}"
        return f"database error: {text}"
    return None
