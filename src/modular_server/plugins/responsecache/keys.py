"""Cache keys: a sha256 over what makes a response different - never objects, never ``hash()``."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl

from modular_server.hooks import Principal

# strongest first: a caller's key part is the strongest scope it holds
_SCOPES = ("admin", "write", "read")


def strongest_scope(principal: Principal | None) -> str:
    if principal is None:
        return "anonymous"
    return next((s for s in _SCOPES if principal.has(s)), "none")


def cache_key(method: str, route: str, path: str, query_string: bytes, principal: Principal | None) -> str:
    """Stable across processes and restarts: the same request gives the same key everywhere."""
    params = sorted(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    digest = hashlib.sha256()
    for part in (method, route, path, strongest_scope(principal)):
        digest.update(part.encode())
        digest.update(b"\x00")
    for name, value in params:
        digest.update(name.encode())
        digest.update(b"=")
        digest.update(value.encode())
        digest.update(b"\x00")
    return digest.hexdigest()
