"""The OpenAPI a client builds on: readable operation ids, links from creating operations to
their reads (what the fuzzer's stateful phase follows), one Problem schema for every error."""

import re

import pytest

ERROR = re.compile(r"[45]\d\d")


@pytest.fixture
async def schema(running):
    r = await running.anonymous.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def _operations(schema):
    return {
        operation["operationId"]: (path, method, operation)
        for path, items in schema["paths"].items()
        for method, operation in items.items()
    }


async def test_operation_ids_are_unique_and_named_after_the_endpoint(schema):
    ids = [o["operationId"] for items in schema["paths"].values() for o in items.values()]
    assert len(ids) == len(set(ids))
    operations = _operations(schema)
    assert operations["create_artikel"][:2] == ("/api/v1/artikel", "post")
    assert operations["book"][:2] == ("/api/v1/bewegungen", "post")
    assert operations["reserve"][:2] == ("/api/v1/reservierungen", "post")
    assert operations["storno"][:2] == ("/api/v1/bewegungen/{bewegung_id}/storno", "post")
    # one name several plugins use is qualified by the tag
    assert "cache_stats" in operations and "stats" not in operations


async def test_creating_operations_link_to_the_reads_of_what_they_created(schema):
    operations = _operations(schema)
    links = operations["create_artikel"][2]["responses"]["201"]["links"]
    assert links["get_artikel"]["parameters"] == {"artikel_id": "$response.body#/id"}
    assert {"update_artikel", "delete_artikel", "verfuegbarkeit"} <= set(links)
    charge_links = operations["create_charge"][2]["responses"]["201"]["links"]
    assert charge_links["get_charge"]["parameters"] == {"charge_id": "$response.body#/id"}
    assert charge_links["get_artikel"]["parameters"] == {"artikel_id": "$response.body#/artikel_id"}
    assert "get_lagerort" in operations["create_lagerort"][2]["responses"]["201"]["links"]
    walked = 0
    for _path, _method, operation in operations.values():
        for answer in operation["responses"].values():
            for link in answer.get("links", {}).values():
                target_path, _target_method, target = operations[link["operationId"]]
                declared = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
                assert set(link["parameters"]) == declared == set(re.findall(r"\{([^}]+)\}", target_path))
                walked += 1
    assert walked > 20


#: error answers a route declares itself: /health/ready answers 503 with its readiness report
OWN_ERROR_BODIES = {("/health/ready", "get", "503")}


async def test_every_error_answer_is_the_one_problem_schema(schema):
    problem = schema["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status", "detail"]
    assert "x-problem-types" in problem["properties"]["type"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, items in schema["paths"].items():
        for method, operation in items.items():
            errors = {status: answer for status, answer in operation["responses"].items() if ERROR.fullmatch(status)}
            assert {"422", "500", "503"} <= set(errors), (method, path)
            for status, answer in errors.items():
                if (path, method, status) in OWN_ERROR_BODIES:
                    continue  # the route declares its own body for this status
                assert answer["content"] == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }
