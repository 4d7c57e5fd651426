"""THE PUBLIC API for plugin authors: everything a plugin needs, in one stable module.

A plugin imports only from here, from :mod:`modular_server.testing` in its tests, and from the
``offers`` module of each plugin it ``requires``. Everything under ``modular_server.core`` is
internal and may change in any release. Names exported here follow the deprecation policy in
docs/plugins/public-api.md: a name is removed only after one minor version in which using it
warns.
"""

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
    problem_response,
)
from modular_server.core.idempotency import run_idempotent
from modular_server.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest, Pagination
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
    "NotFound",
    "Page",
    "PageRequest",
    "Pagination",
    "PluginSpec",
    "Principal",
    "Problem",
    "QueryInfo",
    "ReadSession",
    "RequestContext",
    "ResponseInfo",
    "Unprocessable",
    "UtcDateTime",
    "cache_policy_of",
    "cached",
    "current_request",
    "hookimpl",
    "note_change",
    "problem_response",
    "publish_event",
    "requires_scope",
    "run_idempotent",
    "scope_of",
]
