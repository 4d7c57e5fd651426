"""HTTP validators and directives: strong ETags, If-None-Match, Cache-Control."""

from __future__ import annotations

from hashlib import sha256

from starlette.datastructures import Headers


def strong_etag(body: bytes) -> str:
    """A strong validator from the bytes themselves: equal bodies, equal tags, in any process."""
    return f'"{sha256(body).hexdigest()[:32]}"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2): ``W/`` is ignored."""
    if if_none_match.strip() == "*":
        return True
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == etag:
            return True
    return False


def wants_revalidation(headers: Headers) -> bool:
    """``Cache-Control: no-cache`` (or ``max-age=0``, or ``Pragma: no-cache``): run the handler."""
    directives = headers.get("cache-control")
    if directives is not None:
        lowered = directives.lower()
        if "no-cache" in lowered or "max-age=0" in lowered:
            return True
    pragma = headers.get("pragma")
    return pragma is not None and "no-cache" in pragma.lower()


def cache_control(max_age: int | None) -> bytes:
    """Responses need an API key, so only the client may keep them (``private``); without a
    ``max_age`` it must revalidate each use (cheap: a 304 against the ETag)."""
    return b"private, no-cache" if max_age is None else f"private, max-age={max_age}".encode()
