"""HTTP conditional requests and Cache-Control, the parts this cache needs."""

from __future__ import annotations

from modular_server.hooks import CachePolicy


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 13.1.2: If-None-Match uses the weak comparison (``W/`` is ignored)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


def request_directives(cache_control: str | None) -> set[str]:
    if not cache_control:
        return set()
    return {part.strip().lower().replace(" ", "") for part in cache_control.split(",") if part.strip()}


def wants_revalidation(directives: set[str]) -> bool:
    """``no-cache`` (or ``max-age=0``): the client wants a response fresh from the handler."""
    return "no-cache" in directives or "max-age=0" in directives


def response_cache_control(policy: CachePolicy) -> str:
    """Responses are per API key, so ``private``; without max_age a client revalidates (ETag -> 304)."""
    if policy.max_age is None:
        return "private, no-cache"
    return f"private, max-age={policy.max_age}"
