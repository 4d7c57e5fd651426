"""Error shapes: one title per problem type, one field-path convention, a type of its own for
every 409, every core type documented in docs/errors.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from modular_server.core.errors import PROBLEM_BASE, PROBLEM_TYPES, Conflict, Unprocessable, duplicate, field_path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def _type(body: dict) -> str:
    assert body["type"].startswith(PROBLEM_BASE), body
    return body["type"].removeprefix(PROBLEM_BASE)


def test_field_paths_follow_fastapis_loc():
    assert field_path("menge") == "body.menge"
    assert field_path("items.3.menge") == "body.items.3.menge"
    assert field_path("menge", index=3) == "body.items.3.menge"  # an item of a batch
    for given in ("body.menge", "query.limit", "path.artikel_id", "header.Idempotency-Key", "(request)"):
        assert field_path(given) == given
    problem = Unprocessable("gueltig_bis", "must lie in the future")
    assert problem.errors == [{"field": "body.gueltig_bis", "reason": "must lie in the future"}]
    assert problem.title == "Invalid request"
    assert duplicate("artikel", "nummer", "A-1").errors[0]["field"] == "body.nummer"


def test_a_conflict_always_names_its_type():
    with pytest.raises(TypeError):
        Conflict("something clashed")  # type: ignore[call-arg]
    assert Conflict("charge 3 expired", slug="charge-expired").title == "Charge expired"


async def test_validation_has_one_title_and_one_field_convention(running):
    # FastAPI's own validation and a service's Unprocessable: the same type, title and paths
    from_schema = (await running.client.post("/api/v1/lagerorte", json={"lager_id": 0, "code": "", "name": "x"})).json()
    from_service = (
        await running.client.post("/api/v1/lagerorte", json={"lager_id": 999_999, "code": "A", "name": "x"})
    ).json()
    assert _type(from_schema) == _type(from_service) == "validation-error"
    assert from_schema["title"] == from_service["title"] == "Invalid request"
    assert {e["field"] for e in from_schema["errors"]} == {"body.lager_id", "body.code"}
    assert [e["field"] for e in from_service["errors"]] == ["body.lager_id"]
    query = (await running.client.get("/api/v1/einheiten", params={"limit": 0})).json()
    assert query["title"] == "Invalid request" and query["errors"][0]["field"] == "query.limit"


async def test_every_409_has_a_type_of_its_own(running):
    einheit = {"code": "dup-kg", "name": "Dup", "kategorie": "gewicht", "faktor": "1"}
    assert (await running.client.post("/api/v1/einheiten", json=einheit)).status_code == 201
    again = await running.client.post("/api/v1/einheiten", json=einheit)
    assert again.status_code == 409
    body = again.json()
    assert _type(body) not in ("conflict", "") and body["title"] != "Conflict"
    assert body["title"] == PROBLEM_TYPES[_type(body)].title


async def test_titles_of_core_types_come_from_the_one_table(running):
    seen = {
        "not-found": await running.client.get("/api/v1/no-such-route"),
        "unauthenticated": await running.anonymous.get("/api/v1/einheiten"),
        "invalid-api-key": await running.anonymous.get("/api/v1/einheiten", headers={"Authorization": "Bearer no"}),
        "forbidden": await running.as_scope("read").get("/api/v1/system/plugins"),
        "method-not-allowed": await running.client.put("/api/v1/einheiten"),
        "bad-cursor": await running.client.get("/api/v1/einheiten", params={"cursor": "bm90LWEtY3Vyc29y"}),
    }
    for slug, response in seen.items():
        body = response.json()
        assert _type(body) == slug, body
        assert body["title"] == PROBLEM_TYPES[slug].title
        assert body["status"] == response.status_code == PROBLEM_TYPES[slug].status


def test_every_core_problem_type_is_documented():
    text = DOCS.read_text()
    for slug, kind in PROBLEM_TYPES.items():
        assert f"| `{slug}` | {kind.title} | {kind.status} |" in text, slug
