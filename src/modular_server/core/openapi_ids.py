"""Readable ``operationId`` values: the endpoint function's name (``create_artikel``, ``book``,
``reserve``) instead of FastAPI's ``create_artikel_api_v1_artikel_post``. Generated clients name
their functions after them.

A name that several operations share (``stats`` of cache, monitoring, ...) is prefixed with the
operation's first tag (``cache_stats``); what still collides keeps FastAPI's unique id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any


def readable_operation_ids(schema: dict[str, Any], names: Mapping[tuple[str, str], str]) -> None:
    """Rename in place; ``names`` maps ``(path, METHOD)`` to the endpoint's function name."""
    operations = [
        (path, method, operation)
        for path, items in schema.get("paths", {}).items()
        for method, operation in items.items()
        if isinstance(operation, dict) and (path, method.upper()) in names
    ]
    plain = Counter(names[(path, method.upper())] for path, method, _ in operations)

    def wanted(path: str, method: str, operation: dict[str, Any]) -> str:
        name = names[(path, method.upper())]
        if plain[name] == 1:
            return name
        tags = operation.get("tags") or []
        return f"{tags[0]}_{name}" if tags else name

    proposed = {(path, method): wanted(path, method, op) for path, method, op in operations}
    counts = Counter(proposed.values())
    for path, method, operation in operations:
        candidate = proposed[(path, method)]
        if counts[candidate] == 1:
            operation["operationId"] = candidate
