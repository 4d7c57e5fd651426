"""The OpenAPI description of an app with every plugin has no blanks a client generator trips on:
each success answer has a real schema, each operation an example (request and answer), and each
operation that honours ``Idempotency-Key`` declares the header.

Which operations honour the key is read from the code, not from the description: a route whose
endpoint calls ``run_idempotent``.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from modular_server.testing import RunningApp

#: every operation of the core and of the first-party plugins must be complete. The app under test
#: discovers the installed plugins only: the hello example (examples/hello_plugin) and the tests'
#: fake and faulty plugins are not among them, so they stay out of this check on purpose.
FIRST_PARTY = "modular_server."
#: answers that are not JSON: a text document with a string schema and an example
TEXT_MEDIA = ("text/plain", "text/html")
METHODS = ("get", "post", "put", "patch", "delete")
#: what makes a schema more than a free-form object
STRUCTURE = {"properties", "items", "anyOf", "oneOf", "allOf", "const", "enum"}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _has_example(spec: dict[str, Any], media: dict[str, Any]) -> bool:
    """An example on the media type, on its schema, or on what the schema holds (the items of a
    page, the members of a list): what a client generator and Swagger UI show."""
    if "example" in media or "examples" in media:
        return True
    schema = media.get("schema", {})
    variants = [v for v in schema.get("anyOf", [schema]) if v.get("type") != "null"]  # an optional body
    return any(_schema_has_example(spec, _resolve(spec, v)) for v in variants)


def _schema_has_example(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    if "example" in schema or "examples" in schema:
        return True
    inner = [schema.get("items", {}), *schema.get("properties", {}).values()]
    for candidate in inner:
        for variant in candidate.get("anyOf", [candidate]):
            target = _resolve(spec, variant.get("items", variant))
            if "example" in target or "examples" in target:
                return True
    return False


def _blank(schema: dict[str, Any]) -> bool:
    return not schema or schema == {"type": "object"}


def _problems(spec: dict[str, Any], path: str, method: str, operation: dict[str, Any]) -> list[str]:
    found = []
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None and not _has_example(spec, body):
        found.append("request body without an example")
    successes = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
    if not successes:
        found.append("no success response")
    for code, response in successes.items():
        content = response.get("content")
        if code == "204" or (content and "text/event-stream" in content):
            continue
        text_media = [m for m in TEXT_MEDIA if m in (content or {})]
        if text_media:
            found += [f"{code} {m}: {p}" for m in text_media for p in _text_problems(content[m])]
            continue
        media = (content or {}).get("application/json")
        if media is None or _blank(_resolve(spec, media.get("schema", {}))):
            found.append(f"{code}: empty response schema")
        elif not _has_example(spec, media):
            found.append(f"{code}: response without an example")
    return found


def _text_problems(media: dict[str, Any]) -> list[str]:
    found = []
    if media.get("schema", {}).get("type") != "string":
        found.append("no string schema")
    if "example" not in media and "examples" not in media:
        found.append("no example")
    return found


def _first_party_operations(running: RunningApp) -> set[tuple[str, str]]:
    """(path, method) of every route the core or a first-party plugin serves."""
    return {
        (route.path_format, method.lower())
        for route in running.app.routes
        if isinstance(route, APIRoute) and route.include_in_schema and route.endpoint.__module__.startswith(FIRST_PARTY)
        for method in route.methods
    }


def _honours_idempotency_key(route: APIRoute) -> bool:
    return "run_idempotent" in route.endpoint.__code__.co_names


@pytest.fixture
async def everything(make_app: Any) -> Any:
    async with make_app() as running:
        yield running


async def test_every_operation_has_schemas_and_examples(everything: RunningApp) -> None:
    spec = everything.app.openapi()
    first_party = _first_party_operations(everything)
    problems = []
    checked = set()
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item and (path, method) in first_party:
                checked.add((path, method))
                problems += [f"{method.upper()} {path}: {p}" for p in _problems(spec, path, method, item[method])]
    assert checked == first_party, "operations served but missing from the description"
    for must in ("/metrics", "/db-performance", "/health/live", "/health/ready", "/api/v1/anomalies"):
        assert any(path.startswith(must) for path, _ in checked), f"{must} was not checked"
    assert not problems, "\n".join(problems)


def _untyped(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A JSON answer a client generator can only type as ``dict[str, Any]``: no schema at all, or an
    object of free-form members (``additionalProperties`` only). A page's items count too."""
    schema = _resolve(spec, schema)
    variants = [_resolve(spec, v) for v in schema.get("anyOf", [schema]) if v.get("type") != "null"]
    for variant in variants:
        if variant.get("type", "object") == "object" and not STRUCTURE & variant.keys():
            return True
        if variant.get("type") == "array" and _untyped(spec, variant.get("items", {})):
            return True
        items = variant.get("properties", {}).get("items")
        if items is not None and _untyped(spec, items):
            return True
    return False


async def test_no_first_party_success_answer_is_an_untyped_object(everything: RunningApp) -> None:
    """Every JSON success answer of the core and the first-party plugins names its members: a map
    such as ``dict[str, Any]`` leaves a client to guess (members of a typed answer may be maps)."""
    spec = everything.app.openapi()
    first_party = _first_party_operations(everything)
    untyped = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method not in item or (path, method) not in first_party:
                continue
            for code, response in item[method]["responses"].items():
                media = response.get("content", {}).get("application/json")
                if code.startswith("2") and media is not None and _untyped(spec, media.get("schema", {})):
                    untyped.append(f"{method.upper()} {path} {code}")
    assert not untyped, "\n".join(untyped)


def test_an_untyped_answer_is_recognised() -> None:
    spec: dict[str, Any] = {"components": {"schemas": {"Typed": {"type": "object", "properties": {"a": {}}}}}}
    assert _untyped(spec, {})
    assert _untyped(spec, {"type": "object", "additionalProperties": True})
    assert _untyped(spec, {"type": "object", "additionalProperties": {"anyOf": [{"type": "array"}, {"type": "null"}]}})
    assert _untyped(spec, {"type": "array", "items": {"type": "object"}})
    assert not _untyped(spec, {"$ref": "#/components/schemas/Typed"})
    assert not _untyped(spec, {"type": "array", "items": {"$ref": "#/components/schemas/Typed"}})
    assert not _untyped(spec, {"anyOf": [{"$ref": "#/components/schemas/Typed"}, {"type": "null"}]})


async def test_health_ready_documents_its_503_as_the_readiness_report(everything: RunningApp) -> None:
    """/health/ready answers 503 with the same JSON report as 200 (not a problem document); the route's
    own declared content for a status is kept, problem+json fills only statuses a route leaves open."""
    spec = everything.app.openapi()
    responses = spec["paths"]["/health/ready"]["get"]["responses"]
    assert responses["503"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/ReadinessOut"}}
    }
    assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ReadinessOut"}
    assert list(responses["500"]["content"]) == ["application/problem+json"]
    # a declared problem media type without a schema gets the problem schema
    metrics_401 = spec["paths"]["/metrics"]["get"]["responses"]["401"]
    assert metrics_401["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert metrics_401["description"].startswith("metrics_token required")


async def test_every_operation_honouring_idempotency_key_declares_it(everything: RunningApp) -> None:
    spec = everything.app.openapi()
    honouring = [r for r in everything.app.routes if isinstance(r, APIRoute) and _honours_idempotency_key(r)]
    assert len(honouring) >= 6, "run_idempotent is no longer found: update _honours_idempotency_key"
    missing = []
    for route in honouring:
        for method in route.methods:
            parameters = spec["paths"][route.path_format][method.lower()].get("parameters", [])
            declared = [p for p in parameters if p["in"] == "header" and p["name"].lower() == "idempotency-key"]
            if len(declared) != 1 or declared[0].get("required", False):
                missing.append(f"{method} {route.path_format}")
    assert not missing, "\n".join(missing)


async def test_closed_values_in_domain_answers_are_enums(everything: RunningApp) -> None:
    schemas = everything.app.openapi()["components"]["schemas"]
    for model, field in (
        ("BewegungOut", "typ"),
        ("ReservierungOut", "status"),
        ("ChargeOut", "status"),
        ("DeliveryOut", "status"),
        ("NotificationOut", "severity"),
    ):
        assert "enum" in schemas[model]["properties"][field], (model, field)
    assert "storno" in schemas["BewegungOut"]["properties"]["typ"]["enum"]


@pytest.mark.parametrize(
    "module",
    [
        "modular_server.plugins.artikel.schemas",
        "modular_server.plugins.chargen.schemas",
        "modular_server.plugins.lager.schemas",
        "modular_server.plugins.reservierungen.schemas",
        "modular_server.plugins.notifications.schemas",
        "modular_server.plugins.anomaly.schemas",
        "modular_server.plugins.monitoring.schemas",
        "modular_server.plugins.cache.schemas",
        "modular_server.core.system",
        "modular_server.core.health",
    ],
)
def test_every_example_is_valid_for_its_model(module: str) -> None:
    """Examples are what a client (and schemathesis' example phase) sends first: they must be valid."""
    models = [
        value
        for value in vars(importlib.import_module(module)).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == module
        # a page of them (Page[AuditOut]) shows its items' example
        and value.__pydantic_generic_metadata__["origin"] is None
    ]
    checked = 0
    for model in models:
        extra = model.model_config.get("json_schema_extra")
        examples = extra.get("examples", []) if isinstance(extra, dict) else []
        assert examples, f"{model.__name__} has no example"
        for example in examples:
            model.model_validate(example)
            checked += 1
    assert checked >= len(models)
