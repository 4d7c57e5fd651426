"""What the cache does for one route: its policy, adjusted by the settings, and its keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import sha256
from typing import Any
from urllib.parse import parse_qsl, urlencode

from modular_server.plugin import CachePolicy
from modular_server.plugins.cache.http import cache_control
from modular_server.plugins.cache.settings import CacheSettings
from modular_server.plugins.cache.tags import ALL, resolve, table_tag, wildcard_of


@dataclass(frozen=True, slots=True)
class RoutePlan:
    route: str
    ttl: float
    templates: tuple[str, ...]
    table_tags: tuple[str, ...]
    cache_control: bytes

    def tags(self, params: Mapping[str, Any]) -> tuple[str, ...] | None:
        """Every tag of this route's response for these path parameters (see ``tags``)."""
        resolved = resolve(self.templates, params)
        if resolved is None:
            return None
        wildcards = [w for tag in resolved if (w := wildcard_of(tag)) is not None]
        return tuple(dict.fromkeys([*resolved, *wildcards, *self.table_tags, ALL]))


def plan_for(route: str, policy: CachePolicy, settings: CacheSettings) -> RoutePlan | None:
    """None when the settings leave this route uncached."""
    if settings.routes and route not in settings.routes:
        return None
    ttl = settings.route_ttl_seconds.get(route)
    if ttl is None:
        ttl = policy.ttl if settings.default_ttl_seconds is None else settings.default_ttl_seconds
    ttl = min(ttl, settings.max_ttl_seconds)
    if ttl <= 0:
        return None
    return RoutePlan(
        route=route,
        ttl=ttl,
        templates=policy.tags,
        table_tags=tuple(table_tag(t) for t in policy.tables),
        cache_control=cache_control(policy.max_age),
    )


def canonical_query(query_string: bytes) -> str:
    """Parameters sorted by name (values of one name keep their order: it may matter)."""
    if not query_string:
        return ""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return urlencode(sorted(pairs, key=lambda pair: pair[0]))


def cache_key(version: str, method: str, route: str, path: str, query_string: bytes, scope: str) -> str:
    """The same request gets the same key in every process and after restarts (no ``hash()``);
    ``version`` keeps responses of another release apart during a rolling upgrade."""
    material = "\n".join((version, method, route, path, canonical_query(query_string), scope))
    return sha256(material.encode("utf-8", "surrogateescape")).hexdigest()
