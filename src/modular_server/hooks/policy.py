"""Route metadata: the scope a route needs and its cache policy.

Both are read by the core's request lifecycle from the route's endpoint. Without the cache
plugin the cache policy is inert.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

Scope = Literal["read", "write", "admin"]
F = TypeVar("F", bound=Callable[..., Any])

SCOPE_ATTR = "__modular_scope__"
CACHE_ATTR = "__modular_cache__"


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """``tags`` are templates resolved from path parameters, e.g. ``"charge:{id}"``;
    ``tables`` are the tables whose changes invalidate the response as a whole."""

    ttl: float
    tags: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    max_age: int | None = None


def requires_scope(scope: Scope) -> Callable[[F], F]:
    """Mark an endpoint as needing ``scope`` (default: read for GET/HEAD, write otherwise)."""

    def mark(endpoint: F) -> F:
        setattr(endpoint, SCOPE_ATTR, scope)
        return endpoint

    return mark


def cached(
    ttl: float = 60.0,
    *,
    tags: tuple[str, ...] | list[str] = (),
    tables: tuple[str, ...] | list[str] = (),
    max_age: int | None = None,
) -> Callable[[F], F]:
    """Declare that a GET endpoint's response may be cached for ``ttl`` seconds."""

    policy = CachePolicy(ttl=ttl, tags=tuple(tags), tables=tuple(tables), max_age=max_age)

    def mark(endpoint: F) -> F:
        setattr(endpoint, CACHE_ATTR, policy)
        return endpoint

    return mark


def scope_of(endpoint: Any, method: str) -> Scope:
    declared = getattr(endpoint, SCOPE_ATTR, None)
    if declared is not None:
        return declared
    return "read" if method in ("GET", "HEAD", "OPTIONS") else "write"


def cache_policy_of(endpoint: Any) -> CachePolicy | None:
    return getattr(endpoint, CACHE_ATTR, None)
