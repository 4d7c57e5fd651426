"""THE PUBLIC API for plugin authors: everything a plugin needs, in one stable module.

A plugin imports only from here, from :mod:`modular_server.testing` in its tests, and from the
``offers`` module of each plugin it ``requires``. Everything under ``modular_server.core``,
``modular_server.settings`` and ``modular_server.hooks`` is internal and may change in any
release; import-linter contracts keep the first-party plugins to this rule.

Stability (docs/plugins/public-api.md): every name in ``__all__`` keeps working for the whole
major version. A name is removed or renamed only after one minor version in which using it
warns (:class:`DeprecationWarning`, naming the replacement and the version that removes it).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, NamedTuple

from fastapi import Depends, Header

from modular_server.core.answers import JsonAnswer, json_bytes
from modular_server.core.base import NAMING_CONVENTION, Base, UtcDateTime
from modular_server.core.database import (
    ROWS_NOTED,
    Database,
    DatabaseDep,
    ReadSession,
    note_change,
    publish_event,
)
from modular_server.core.errors import (
    PROBLEM_MEDIA_TYPE,
    Conflict,
    NotFound,
    Problem,
    Unprocessable,
    duplicate,
    problem_body,
    problem_response,
    still_referenced,
)
from modular_server.core.host import PluginHostView, database_of, host_of, runtime_of, settings_of
from modular_server.core.idempotency import MAX_KEY_LENGTH, run_idempotent
from modular_server.core.openapi_decimals import decimal_json_schema, exact_decimal
from modular_server.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest, Pagination
from modular_server.core.periodic import Periodic, every
from modular_server.core.redis_breaker import RedisBreaker
from modular_server.core.rows import labelled, nested, nested_rows, plain_rows
from modular_server.core.security import bearer_token
from modular_server.hooks import (
    CONTRACT_VERSION,
    PROJECT_NAME,
    CachedResponse,
    CachePolicy,
    Change,
    CliCommand,
    DomainEvent,
    HealthResult,
    PluginSpec,
    Principal,
    QueryInfo,
    RequestContext,
    ResponseInfo,
    cache_policy_of,
    cached,
    current_request,
    hookimpl,
    requires_scope,
    scope_of,
)
from modular_server.settings import Settings as ServerSettings
from modular_server.settings.plugin_base import PluginSettings

__all__ = [
    "CONTRACT_VERSION",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "NAMING_CONVENTION",
    "PROBLEM_MEDIA_TYPE",
    "PROJECT_NAME",
    "ROWS_NOTED",
    "Base",
    "CachePolicy",
    "CachedResponse",
    "Change",
    "CliCommand",
    "Conflict",
    "Database",
    "DatabaseDep",
    "DomainEvent",
    "HealthResult",
    "IdempotencyKey",
    "JsonAnswer",
    "NotFound",
    "Page",
    "PageRequest",
    "Pagination",
    "Periodic",
    "PluginHostView",
    "PluginSettings",
    "PluginSpec",
    "Principal",
    "Problem",
    "QueryInfo",
    "ReadSession",
    "RedisBreaker",
    "RequestContext",
    "ResponseInfo",
    "ServerSettings",
    "Unprocessable",
    "UtcDateTime",
    "bearer_token",
    "cache_policy_of",
    "cached",
    "current_request",
    "database_of",
    "decimal_json_schema",
    "duplicate",
    "every",
    "exact_decimal",
    "hookimpl",
    "host_of",
    "json_bytes",
    "labelled",
    "nested",
    "nested_rows",
    "note_change",
    "plain_rows",
    "problem_body",
    "problem_response",
    "publish_event",
    "requires_scope",
    "run_idempotent",
    "runtime_of",
    "scope_of",
    "settings_of",
    "still_referenced",
]


async def _idempotency_key(  # async: a plain def would cost every write a hop to the thread pool
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description=(
                f"optional, 1 to {MAX_KEY_LENGTH} characters: a retry with the same key and body replays the "
                "first answer (header `Idempotent-Replayed: true`) and books nothing; the same key with "
                "another body is refused (422)"
            ),
            examples=["3f9c2b1e-7d4a-4e0b-9a57-0c1d2e3f4a5b"],
            # documented, not enforced here: run_idempotent answers a bad key with its own 400
            json_schema_extra={"anyOf": [{"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH}]},
        ),
    ] = None,
) -> str | None:
    # Declares the header for OpenAPI only: run_idempotent reads and checks it (400 when malformed).
    return key


#: ``dependencies=[IdempotencyKey]`` on every route that calls :func:`run_idempotent`: declares
#: the optional ``Idempotency-Key`` header parameter in the OpenAPI description, in one place.
IdempotencyKey = Depends(_idempotency_key)


class Deprecated(NamedTuple):
    """A name that still works but warns: use ``replacement`` (a name in ``__all__``) instead;
    the name disappears in version ``removed_in``."""

    replacement: str
    removed_in: str


#: old name -> its replacement; an entry stays for one minor version, then the name goes.
#: Empty today: nothing has been renamed since the API was published.
DEPRECATED: Mapping[str, Deprecated] = MappingProxyType({})


def __getattr__(name: str) -> Any:
    """Resolve a deprecated name to its replacement, with a DeprecationWarning."""
    entry = DEPRECATED.get(name)
    if entry is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"modular_server.plugin.{name} is deprecated and will be removed in {entry.removed_in}; "
        f"use modular_server.plugin.{entry.replacement}",
        DeprecationWarning,
        stacklevel=2,
    )
    return globals()[entry.replacement]
