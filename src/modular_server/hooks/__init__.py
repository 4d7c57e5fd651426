"""The plugin contract. This package is what a plugin author reads and imports.

See :mod:`modular_server.hooks.specs` for every hook, documented where it is declared.
"""

from modular_server.hooks.cli import CliCommand
from modular_server.hooks.context import (
    CachedResponse,
    Change,
    DomainEvent,
    Principal,
    QueryInfo,
    RequestContext,
    ResponseInfo,
    current_request,
)
from modular_server.hooks.health import HealthResult
from modular_server.hooks.kinds import HookKind
from modular_server.hooks.markers import CONTRACT_VERSION, PROJECT_NAME, hookimpl, hookspec
from modular_server.hooks.policy import CachePolicy, cache_policy_of, cached, requires_scope, scope_of
from modular_server.hooks.spec import PluginSpec

__all__ = [
    "CONTRACT_VERSION",
    "PROJECT_NAME",
    "CachePolicy",
    "CachedResponse",
    "Change",
    "CliCommand",
    "DomainEvent",
    "HealthResult",
    "HookKind",
    "PluginSpec",
    "Principal",
    "QueryInfo",
    "RequestContext",
    "ResponseInfo",
    "cache_policy_of",
    "cached",
    "current_request",
    "hookimpl",
    "hookspec",
    "requires_scope",
    "scope_of",
]
