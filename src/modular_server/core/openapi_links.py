"""OpenAPI links from the operations that create a resource to those that use it.

Derived from the schema itself, so every plugin's routes get them without declaring anything:

* ``POST /x`` answering an object with ``id`` (or ``items[0].id``) links to every operation under ``/x/{x_id}``
  whose only path parameter is that one (``GET/PATCH/DELETE /x/{x_id}``, ``POST /x/{x_id}/...``);
* any ``<name>_id`` member of that answer links to the ``GET`` operations under
  ``/.../{<name>_id}`` (a new charge's ``artikel_id`` -> ``GET /artikel/{artikel_id}``).

Clients (and the fuzzer's stateful phase) follow them from a created resource to its reads.
"""

from __future__ import annotations

import re
from typing import Any

_PARAM = re.compile(r"\{([^}]+)\}")
_REF_PREFIX = "#/components/schemas/"


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema and schema["$ref"].startswith(_REF_PREFIX):
        schema = components.get(schema["$ref"][len(_REF_PREFIX) :], {})
    return schema


def _members(schema: dict[str, Any] | None, components: dict[str, Any]) -> dict[str, Any]:
    """The member schemas of an object schema (empty for anything else)."""
    if not schema:
        return {}
    resolved = _resolve(schema, components)
    return dict(resolved.get("properties", {})) if resolved.get("type", "object") == "object" else {}


def _answer_members(response: dict[str, Any], components: dict[str, Any]) -> dict[str, str]:
    """Member name -> JSON pointer into the answer. An answer that creates several rows at once
    (``{"items": [{"id": ...}, ...]}``) offers its first item's ``id``."""
    members = _members(response.get("content", {}).get("application/json", {}).get("schema"), components)
    found = {name: name for name in members}
    items = _resolve(members.get("items", {}), components)
    if "id" not in found and items.get("type") == "array" and "id" in _members(items.get("items"), components):
        found["id"] = "items/0/id"
    return found


def _consumers(paths: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """``(path, method, operationId, parameter)`` of every operation with exactly one path parameter."""
    found = []
    for path, operations in paths.items():
        params = _PARAM.findall(path)
        if len(params) != 1:
            continue
        for method, operation in operations.items():
            if isinstance(operation, dict) and operation.get("operationId"):
                found.append((path, method, operation["operationId"], params[0]))
    return found


def add_links(schema: dict[str, Any]) -> None:
    """Add ``links`` to the success answers of creating operations (in place)."""
    paths: dict[str, Any] = schema.get("paths", {})
    components: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    consumers = _consumers(paths)
    for path, operations in paths.items():
        create = operations.get("post")
        if not isinstance(create, dict):
            continue
        for status, response in create.get("responses", {}).items():
            if not status.startswith("2"):
                continue
            members = _answer_members(response, components)
            links: dict[str, Any] = {}
            for target, method, operation_id, param in consumers:
                own_item = target.startswith(f"{path}/{{{param}}}") and not _PARAM.findall(path)
                own_member = param if param in members else "id" if param.endswith("id") else None
                if own_item and own_member in members:
                    links[operation_id] = _link(operation_id, param, members[own_member])
                elif param in members and method == "get":
                    links[operation_id] = _link(operation_id, param, members[param])
            if links:
                response["links"] = links


def _link(operation_id: str, param: str, pointer: str) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "parameters": {param: f"$response.body#/{pointer}"},
        "description": f"`{pointer}` of the answer as `{param}`",
    }
