"""The one ``Problem`` schema (RFC 9457) of the OpenAPI, with the stable problem types.

Every error answer of every operation refers to it. Its ``type`` member lists the core's types
(from :data:`modular_server.core.errors.PROBLEM_TYPES`) in ``x-problem-types``, in ``examples``
and in a table in its description; each error answer's description names the types sent with
that status. Plugins add types of their own under the same URN prefix, so ``type`` is not a
closed enum: a client matches the types it handles and treats others by ``status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_CONTENT = {"application/problem+json": {"schema": PROBLEM_REF}}


class _Described(Protocol):
    title: str
    status: int
    when: str
    members: str


def problem_schema(types: Mapping[str, _Described], base: str) -> dict[str, Any]:
    rows = "\n".join(
        f"| `{base}{slug}` | {t.status} | {t.title} | {t.when} | {t.members} |" for slug, t in _by_status(types)
    )
    return {
        "type": "object",
        "title": "Problem",
        "description": "RFC 9457 problem details. `type` says what went wrong (stable; match on it), `title` "
        "is the type's one title, `detail` is for people. Further members depend on the type.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {
                "type": "string",
                "description": f"`{base}<slug>`. The core's types:\n\n"
                "| type | status | title | when | members |\n| --- | --- | --- | --- | --- |\n"
                f"{rows}\n\nPlugins add their own under the same prefix (e.g. `{base}insufficient-stock`).",
                "examples": [f"{base}{slug}" for slug, _ in _by_status(types)],
                "x-problem-types": [
                    {"type": f"{base}{slug}", "status": t.status, "title": t.title, "when": t.when}
                    for slug, t in _by_status(types)
                ],
            },
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string", "description": "the request's path"},
            "request_id": {"type": "string", "description": "also in the X-Request-ID header; quote it"},
            "errors": {
                "type": "array",
                "description": "one entry per failing field",
                "items": {
                    "type": "object",
                    "properties": {
                        "field": {"type": "string", "description": "`body.menge`, `query.limit`, `path.artikel_id`"},
                        "reason": {"type": "string"},
                        "code": {"type": ["string", "null"]},
                    },
                    "required": ["field", "reason"],
                    "additionalProperties": True,
                },
            },
        },
        "additionalProperties": True,
    }


def problem_response(description: str, status: str, types: Mapping[str, _Described], base: str) -> dict[str, Any]:
    """An error answer: its description names the core types sent with this status."""
    sent = [f"`{base}{slug}`" for slug, t in _by_status(types) if str(t.status) == status]
    text = description + (f" (type {', '.join(sent)})" if sent else "")
    return {"description": text, "content": PROBLEM_CONTENT}


def merged_error_response(
    declared: Mapping[str, Any] | None, description: str, status: str, types: Mapping[str, _Described], base: str
) -> dict[str, Any]:
    """An error answer of one operation: what the route declares for ``status`` merged with the
    problem document. A route that declares a body of its own for the status (``/health/ready``
    answers 503 with its readiness report) keeps it; the problem schema fills only what is left
    open: no content at all, or a problem media type without a schema. The route's description
    wins over the generic one."""
    declared = declared or {}
    own = {media: spec for media, spec in (declared.get("content") or {}).items() if spec.get("schema")}
    if not own:
        return {**declared, **problem_response(declared.get("description") or description, status, types, base)}
    merged = {**declared, "content": own}
    merged.setdefault("description", description)
    return merged


def _by_status(types: Mapping[str, _Described]) -> list[tuple[str, _Described]]:
    return sorted(types.items(), key=lambda item: (item[1].status, item[0]))
