"""The plugin contract. A plugin author reads :mod:`modular_server.hooks.specs` for every hook,
documented where it is declared, and imports the names from :mod:`modular_server.plugin`
(this package is internal: its layout may change, the re-exports there do not).
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
