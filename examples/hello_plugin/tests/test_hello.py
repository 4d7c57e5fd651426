"""The hello plugin's own tests: ``python -m pytest`` in examples/hello_plugin (installed with
``pip install -e examples/hello_plugin``). No pytest configuration: the modular_server pytest
plugin provides the fixtures and runs the async tests."""

from __future__ import annotations

import pytest

from modular_server.testing import BOTH

pytestmark = pytest.mark.parametrize("backend", BOTH, indirect=True)


async def test_greets_with_the_configured_greeting(make_app, monkeypatch):
    monkeypatch.setenv("MODULAR_SERVER_HELLO__GREETING", "Moin")
    async with make_app(only=["hello"]) as running:
        answer = await running.client.get("/api/v1/hello", params={"name": "Lager"})
    assert answer.json() == {"message": "Moin, Lager!"}


async def test_greetings_are_kept_and_listed_page_by_page(make_app):
    async with make_app(only=["hello"]) as running:
        for name in ("Anna", "Ben", "Cem"):
            created = await running.client.post("/api/v1/hello/greetings", json={"name": name})
            assert created.status_code == 201
        first = (await running.client.get("/api/v1/hello/greetings", params={"limit": 2})).json()
        rest = (
            await running.client.get("/api/v1/hello/greetings", params={"limit": 2, "cursor": first["next_cursor"]})
        ).json()
    assert [g["message"] for g in first["items"]] == ["Hallo, Anna!", "Hallo, Ben!"]
    assert [g["message"] for g in rest["items"]] == ["Hallo, Cem!"]
    assert rest["next_cursor"] is None


async def test_a_retried_greeting_is_kept_once(make_app):
    async with make_app(only=["hello"]) as running:
        headers = {"Idempotency-Key": "greet-anna"}
        first = await running.client.post("/api/v1/hello/greetings", json={"name": "Anna"}, headers=headers)
        retry = await running.client.post("/api/v1/hello/greetings", json={"name": "Anna"}, headers=headers)
        kept = (await running.client.get("/api/v1/hello/greetings")).json()["items"]
    assert retry.json() == first.json()
    assert len(kept) == 1


async def test_a_bad_name_is_a_422_problem(make_app):
    async with make_app(only=["hello"]) as running:
        answer = await running.client.post("/api/v1/hello/greetings", json={"name": ""})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "body.name"
