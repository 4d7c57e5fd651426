"""API keys through the API, revocation, no key lookup per request (and one for a burst of
requests with a new key), and a walk over every route proving none is reachable without the
right scope."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from fastapi.routing import APIRoute

from modular_server.hooks import scope_of
from modular_server.testing import BOTH, running_app, sources_with
from tests.fakes import widgets

SAFE = ("GET", "HEAD", "OPTIONS")


def _client(running, token: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.AsyncClient(transport=running.client._transport, base_url="http://test", headers=headers)


def _assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, (response.request.method, response.request.url, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_keys_api_creates_lists_and_revokes_and_revocation_is_immediate(make_app):
    async with make_app(discover=False) as running:
        created = await running.client.post("/api/v1/system/keys", json={"name": "terminal-1", "scope": "write"})
        assert created.status_code == 201
        token = created.json()["key"]
        assert re.fullmatch(r"msk_[0-9a-f]{12}_[\w-]{43}", token)

        listed = (await running.client.get("/api/v1/system/keys")).json()["items"]
        entry = next(k for k in listed if k["name"] == "terminal-1")
        assert entry == {
            "id": entry["id"],
            "name": "terminal-1",
            "scope": "write",
            "prefix": token[4:16],
            "revoked": False,
        }
        secret = token.split("_", 2)[2]  # the secret is URL-safe base64 and may hold "_" itself
        assert secret not in str(listed), "the secret is shown once, never listed"

        terminal = _client(running, token)
        assert (await terminal.get("/api/v1/system/plugins")).status_code == 403  # write < admin
        assert (await terminal.get("/api/v1/no-such-route")).status_code == 404  # authenticated

        assert (await running.client.delete("/api/v1/system/keys/terminal-1")).status_code == 204
        refused = _assert_problem(await terminal.get("/api/v1/no-such-route"), 401)
        assert refused["type"] == "urn:modular-server:problem:invalid-api-key"
        listed = (await running.client.get("/api/v1/system/keys")).json()["items"]
        assert next(k for k in listed if k["name"] == "terminal-1")["revoked"] is True
        _assert_problem(await running.client.delete("/api/v1/system/keys/terminal-1"), 404)
        duplicate = await running.client.post("/api/v1/system/keys", json={"name": "test-read", "scope": "read"})
        _assert_problem(duplicate, 409)


@pytest.mark.parametrize("secret", ["_leading-underscore" + "a" * 24, "with_under_scores_" + "b" * 25, "-" * 43])
async def test_a_secret_made_of_separator_characters_still_verifies(running, monkeypatch, secret):
    # token_urlsafe draws from [A-Za-z0-9_-]: a secret that starts with or holds "_" must
    # still split into exactly prefix and secret
    monkeypatch.setattr("modular_server.core.security.secrets.token_urlsafe", lambda _n: secret)
    issued = await running.app.state.keys.create("underscored", "read")
    assert issued.token.endswith("_" + secret)
    assert (await running.app.state.keys.verify(issued.token)) is not None
    assert (await running.app.state.keys.verify(issued.token[:-1] + "x")) is None


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_verified_key_costs_no_statement(make_app, backend):
    begin = 1 if backend == "sqlite" else 0
    async with make_app(discover=False) as running:
        fresh = (await running.app.state.keys.create("fresh", "admin")).token
        client = _client(running, fresh)
        with running.count_statements() as sql:
            assert (await client.get("/api/v1/system/plugins")).status_code == 200
        assert sql.count == 1 + begin, "the first request looks the key up once"
        for _ in range(3):
            with running.count_statements() as sql:
                assert (await client.get("/api/v1/system/plugins")).status_code == 200
            assert sql.count == 0, sql.statements


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_burst_of_requests_with_an_unverified_key_looks_it_up_once(make_app, backend):
    # a worker's first burst after start, or every request of a client whose entry expired:
    # each would otherwise run the lookup, each on a pool connection of its own
    async with make_app(discover=False) as running:
        fresh = (await running.app.state.keys.create("burst", "admin")).token
        client = _client(running, fresh)
        with running.count_statements() as sql:
            answers = await asyncio.gather(*(client.get("/api/v1/system/plugins") for _ in range(16)))
        assert [answer.status_code for answer in answers] == [200] * 16
        lookups = [statement for statement in sql.statements if "FROM api_key" in statement]
        assert len(lookups) == 1, lookups


async def test_a_lookup_that_began_before_a_revocation_is_not_remembered(running, monkeypatch):
    keys = running.app.state.keys
    token = (await keys.create("racing", "read")).token
    looked_up, release = asyncio.Event(), asyncio.Event()
    lookup = keys._lookup

    async def slow_lookup(presented: str):
        found = await lookup(presented)  # reads the key while it is still valid
        looked_up.set()
        await release.wait()
        return found

    monkeypatch.setattr(keys, "_lookup", slow_lookup)
    early = asyncio.ensure_future(keys.verify(token))
    await looked_up.wait()
    await keys.revoke("racing")
    release.set()
    assert (await early) is not None, "a request that came before the revocation is answered as it was"
    monkeypatch.undo()
    assert (await keys.verify(token)) is None, "the revoked key was remembered as valid"


async def test_unauthenticated_and_forbidden_are_problems_with_the_right_headers(running):
    # no key at all: "unauthenticated"; a key that does not verify: "invalid-api-key" (RFC 6750)
    for token in (None, ""):
        r = await _client(running, token).get("/api/v1/system/plugins")
        assert _assert_problem(r, 401)["type"] == "urn:modular-server:problem:unauthenticated"
        assert r.headers["www-authenticate"] == 'Bearer realm="modular-server"'
    for token in ("msk_nothing_here", "not-a-key", "msk_" + "a" * 300):
        r = await _client(running, token).get("/api/v1/system/plugins")
        wrong = _assert_problem(r, 401)
        assert wrong["type"] == "urn:modular-server:problem:invalid-api-key"
        assert wrong["title"] == "Invalid API key" and "unknown, revoked or malformed" in wrong["detail"]
        assert r.headers["www-authenticate"] == 'Bearer realm="modular-server", error="invalid_token"'
    basic = await running.anonymous.get("/api/v1/system/plugins", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert _assert_problem(basic, 401)["type"] == "urn:modular-server:problem:unauthenticated"
    forbidden = _assert_problem(await running.as_scope("read").get("/api/v1/system/plugins"), 403)
    assert forbidden["required_scope"] == "admin"
    assert forbidden["detail"] == "this operation needs the 'admin' scope"


def _needed(route: APIRoute, method: str) -> str:
    return "admin" if route.path.startswith("/api/v1/system/") else scope_of(route.endpoint, method)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_route_walk_no_route_is_reachable_without_the_right_scope(settings_factory):
    sources = sources_with([widgets])  # every installed plugin, plus one with read, write and admin routes
    async with running_app(settings_factory(), sources) as running:
        anonymous, read, write = running.anonymous, running.as_scope("read"), running.as_scope("write")
        api = [
            (route, method)
            for route in running.app.routes
            if isinstance(route, APIRoute) and route.path.startswith("/api/")
            for method in sorted(route.methods)
        ]
        needed = {(route.path, method): _needed(route, method) for route, method in api}
        assert {"read", "write", "admin"} <= set(needed.values())
        assert needed[("/api/v1/widgets/report", "GET")] == "admin"
        assert needed[("/api/v1/widgets/{widget_id}", "DELETE")] == "admin"

        walked = 0
        for route, method in api:
            path, scope = _concrete(route.path), needed[(route.path, method)]
            assert method in SAFE or scope != "read", f"{method} {route.path} changes data with a read key"
            _assert_problem(await anonymous.request(method, path), 401)
            if scope != "read":
                _assert_problem(await read.request(method, path), 403)
            if scope == "admin":
                _assert_problem(await write.request(method, path), 403)
            walked += 1
        assert walked == len(api) > 20

        # paths under /api without a route are closed too
        _assert_problem(await anonymous.get("/api/v1/no-such-route"), 401)
        _assert_problem(await read.get("/api/v1/no-such-route"), 404)

        public = [
            r for r in running.app.routes if not r.path.startswith("/api/") and "GET" in getattr(r, "methods", ())
        ]
        assert {r.path for r in public} >= {"/health/live", "/health/ready", "/docs", "/openapi.json"}
        for route in public:
            r = await anonymous.get(_concrete(route.path))
            assert r.status_code not in (401, 403), route.path


async def test_openapi_declares_the_bearer_scheme_and_each_operations_scope(settings_factory):
    async with running_app(settings_factory(), sources_with([widgets])) as running:
        r = await running.anonymous.get("/openapi.json")
        assert r.status_code == 200
        schema = r.json()
        assert schema["components"]["securitySchemes"]["apiKey"]["type"] == "http"
        assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
        routes = {
            (route.path, method): route
            for route in running.app.routes
            if isinstance(route, APIRoute)
            for method in route.methods
        }
        operations = 0
        for path, items in schema["paths"].items():
            for method, operation in items.items():
                route = routes[(path, method.upper())]
                if path.startswith("/api/"):
                    assert operation["security"] == [{"apiKey": []}]
                    assert operation["x-required-scope"] == _needed(route, method.upper()), (method, path)
                    operations += 1
                else:
                    assert "security" not in operation and "x-required-scope" not in operation
        assert operations > 20
        assert schema["paths"]["/api/v1/widgets/report"]["get"]["x-required-scope"] == "admin"
        assert (await running.anonymous.get("/docs")).status_code == 200
