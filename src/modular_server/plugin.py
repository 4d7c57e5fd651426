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

import importlib
import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    # What a type checker (and a reader) sees; at run time each name is imported on first use
    # (:data:`_ORIGINS`, :func:`__getattr__`).
    from modular_server.core.answers import JsonAnswer, json_bytes
    from modular_server.core.base import NAMING_CONVENTION, Base, UtcDateTime
    from modular_server.core.database import ROWS_NOTED, Database, note_change, publish_event
    from modular_server.core.dependencies import DatabaseDep, ReadSession
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
    from modular_server.core.idempotency import IdempotencyKey, run_idempotent
    from modular_server.core.listmatch import one_of
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
    "one_of",
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


class Deprecated(NamedTuple):
    """A name that still works but warns: use ``replacement`` (a name in ``__all__``) instead;
    the name disappears in version ``removed_in``."""

    replacement: str
    removed_in: str


#: old name -> its replacement; an entry stays for one minor version, then the name goes.
#: Empty today: nothing has been renamed since the API was published.
DEPRECATED: Mapping[str, Deprecated] = MappingProxyType({})


#: the module each public name of the core lives in. Importing this module costs next to
#: nothing; a name's module is imported when the name is first used, so a plugin's
#: ``from modular_server.plugin import hookimpl, PluginSpec`` (all the kernel needs to read it)
#: loads neither FastAPI nor SQLAlchemy - the command line lists plugins without them.
_ORIGINS: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(("JsonAnswer", "json_bytes"), "modular_server.core.answers"),
        **dict.fromkeys(("NAMING_CONVENTION", "Base", "UtcDateTime"), "modular_server.core.base"),
        **dict.fromkeys(("ROWS_NOTED", "Database", "note_change", "publish_event"), "modular_server.core.database"),
        **dict.fromkeys(("DatabaseDep", "ReadSession"), "modular_server.core.dependencies"),
        **dict.fromkeys(
            (
                "PROBLEM_MEDIA_TYPE",
                "Conflict",
                "NotFound",
                "Problem",
                "Unprocessable",
                "duplicate",
                "problem_body",
                "problem_response",
                "still_referenced",
            ),
            "modular_server.core.errors",
        ),
        **dict.fromkeys(
            ("PluginHostView", "database_of", "host_of", "runtime_of", "settings_of"), "modular_server.core.host"
        ),
        **dict.fromkeys(("IdempotencyKey", "run_idempotent"), "modular_server.core.idempotency"),
        **dict.fromkeys(("one_of",), "modular_server.core.listmatch"),
        **dict.fromkeys(("decimal_json_schema", "exact_decimal"), "modular_server.core.openapi_decimals"),
        **dict.fromkeys(
            ("DEFAULT_LIMIT", "MAX_LIMIT", "Page", "PageRequest", "Pagination"), "modular_server.core.pagination"
        ),
        **dict.fromkeys(("Periodic", "every"), "modular_server.core.periodic"),
        **dict.fromkeys(("RedisBreaker",), "modular_server.core.redis_breaker"),
        **dict.fromkeys(("labelled", "nested", "nested_rows", "plain_rows"), "modular_server.core.rows"),
        **dict.fromkeys(("bearer_token",), "modular_server.core.security"),
        **dict.fromkeys(("PluginSettings",), "modular_server.settings.plugin_base"),
    }
)
#: public names that differ from the attribute they stand for: ``name -> (module, attribute)``
_RENAMED: Mapping[str, tuple[str, str]] = MappingProxyType({"ServerSettings": ("modular_server.settings", "Settings")})
#: every other name of ``__all__`` is part of the plugin contract, re-exported from here
_CONTRACT = "modular_server.hooks"


def _origin(name: str) -> tuple[str, str] | None:
    """``(module, attribute)`` of public ``name``; None for a name that is not public."""
    if name in _RENAMED:
        return _RENAMED[name]
    if name in _ORIGINS:
        return _ORIGINS[name], name
    return (_CONTRACT, name) if name in __all__ else None


def _resolve(name: str) -> Any:
    """Import public ``name`` from where it lives and keep it here (the next access is a plain
    attribute lookup, as with an eager import)."""
    origin = _origin(name)
    if origin is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(origin[0]), origin[1])
    globals()[name] = value
    return value


def __getattr__(name: str) -> Any:
    """A public name on first use (PEP 562); a deprecated name resolves to its replacement,
    with a DeprecationWarning."""
    entry = DEPRECATED.get(name)
    if entry is None:
        return _resolve(name)
    warnings.warn(
        f"modular_server.plugin.{name} is deprecated and will be removed in {entry.removed_in}; "
        f"use modular_server.plugin.{entry.replacement}",
        DeprecationWarning,
        stacklevel=2,
    )
    return _resolve(entry.replacement)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
