"""An integer no column can hold, anywhere a client can put one, is bad input (4xx), never a 500.

Every first-party operation is called with such an integer in each integer path and query
parameter and in each integer of its documented request example, and with an
``Idempotency-Key`` (the key's request hash must cope with it too). The values come from the
description itself, so a new route is covered the day it is added.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from modular_server.testing import BOTH, RunningApp

#: beyond 64 bits: no database column, no JSON library limited to machine integers holds it
HUGE = 2**70
METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _is_integer(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    variants = _resolve(spec, schema).get("anyOf", [schema])
    return any(_resolve(spec, v).get("type") == "integer" for v in variants)


def _example_body(spec: dict[str, Any], operation: dict[str, Any]) -> Any:
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if media is None:
        return None
    if "example" in media:
        return media["example"]
    schema = _resolve(spec, media.get("schema", {}))
    for variant in schema.get("anyOf", [schema]):
        resolved = _resolve(spec, variant)
        if resolved.get("examples"):
            return resolved["examples"][0]
    return {}


def _enlarged(value: Any) -> Any:
    """The example with every integer replaced by HUGE (booleans stay: they are ints in Python)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return HUGE
    if isinstance(value, dict):
        return {k: _enlarged(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_enlarged(v) for v in value]
    return value


def _streams(operation: dict[str, Any]) -> bool:
    return any("text/event-stream" in r.get("content", {}) for r in operation["responses"].values())


def _calls(running: RunningApp) -> list[tuple[str, str, dict[str, Any], Any]]:
    """(method, url, query, body) for every first-party operation with at least one integer."""
    spec = running.app.openapi()
    first_party = {
        (route.path_format, method.lower())
        for route in running.app.routes
        if isinstance(route, APIRoute) and route.endpoint.__module__.startswith("modular_server.")
        for method in route.methods
    }
    calls = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None or (path, method) not in first_party or _streams(operation):
                continue
            url, query, touched = path, {}, False
            for parameter in operation.get("parameters", []):
                integer = _is_integer(spec, parameter.get("schema", {}))
                if parameter["in"] == "path":
                    url = url.replace("{" + parameter["name"] + "}", str(HUGE) if integer else "x")
                    touched |= integer
                elif parameter["in"] == "query" and integer:
                    query[parameter["name"]] = str(HUGE)
                    touched = True
            example = _example_body(spec, operation)
            body = _enlarged(example)
            touched |= body != example
            if touched:
                calls.append((method, url, query, body))
    return calls


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_an_integer_beyond_every_column_is_a_client_error_on_every_operation(make_app, backend):
    async with make_app() as running:
        calls = _calls(running)
        assert len(calls) >= 40, "the description lost its integer parameters: update _calls"
        failures = []
        for number, (method, url, query, body) in enumerate(calls):
            headers = {"Idempotency-Key": f"huge-{number}"}
            r = await running.client.request(method, url, params=query, json=body, headers=headers)
            if r.status_code >= 500:
                failures.append(f"{method.upper()} {url} {query} -> {r.status_code} {r.text[:200]}")
            elif r.status_code >= 400:
                assert r.headers["content-type"] == "application/problem+json", (method, url, r.text)
        assert not failures, "\n".join(failures)
