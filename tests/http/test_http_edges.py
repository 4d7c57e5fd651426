"""The edges of HTTP: a 413 like every other error, json-too-deep, HEAD on every GET route,
each security header once."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from modular_server.core.middleware import SECURITY_HEADERS

PROBLEM = "urn:modular-server:problem:"


def _security_headers_once(response) -> None:
    for name, _value in SECURITY_HEADERS:
        sent = response.headers.get_list(name.decode())
        assert len(sent) == 1, (name, sent)
    assert len(response.headers.get_list("x-request-id")) == 1


async def test_a_413_from_content_length_is_a_problem_like_any_other(make_app):
    async with make_app(max_body_bytes=1024) as running:
        r = await running.client.post(
            "/api/v1/einheiten",
            content=b"x" * 2048,
            headers={"content-type": "application/json", "X-Request-ID": "too-big-1"},
        )
        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["type"] == PROBLEM + "body-too-large" and body["title"] == "Body too large"
        assert body["instance"] == "/api/v1/einheiten" and body["request_id"] == "too-big-1"
        assert body["limit"] == 1024
        assert r.headers["x-request-id"] == "too-big-1" and r.headers["connection"] == "close"
        _security_headers_once(r)

        async def chunks():
            for _ in range(4):
                yield b"x" * 600

        streamed = await running.client.post(
            "/api/v1/einheiten", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413 and streamed.json()["request_id"] == streamed.headers["x-request-id"]
        _security_headers_once(streamed)


async def test_deeply_nested_json_is_json_too_deep(running):
    depth = 200_000
    r = await running.client.post(
        "/api/v1/einheiten", content=b"[" * depth + b"]" * depth, headers={"content-type": "application/json"}
    )
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["type"] == PROBLEM + "json-too-deep" and body["title"] == "JSON nested too deeply"
    assert body["request_id"] == r.headers["x-request-id"]


async def test_head_answers_like_get_on_every_get_route(running):
    checked = 0
    for route in running.app.routes:
        if not isinstance(route, APIRoute) or "GET" not in route.methods or "stream" in route.path:
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        got = await running.client.get(path)
        head = await running.client.head(path)
        assert head.status_code == got.status_code, (path, head.status_code, got.status_code)
        assert head.content == b"", path
        assert head.headers.get("content-type") == got.headers.get("content-type"), path
        checked += 1
    assert checked > 20
    got = await running.client.get("/api/v1/einheiten")
    head = await running.client.head("/api/v1/einheiten")
    assert head.headers["content-length"] == got.headers["content-length"] != "0"
    # not a route at all: the 404 of a GET, without its body
    missing = await running.anonymous.head("/no-such-page")
    assert missing.status_code == 404 and missing.content == b""


async def test_every_security_header_is_sent_once(running):
    dashboard = await running.anonymous.get("/db-performance")
    assert dashboard.status_code in (200, 401, 403), dashboard.text
    _security_headers_once(dashboard)
    # the dashboard's own value wins over the default
    assert "frame-ancestors 'none'" in dashboard.headers.get("content-security-policy", "frame-ancestors 'none'")
    for path in ("/api/v1/einheiten", "/health/live", "/api/v1/no-such-route"):
        _security_headers_once(await running.client.get(path))


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_head_needs_the_same_key_as_get(running, method):
    r = await running.anonymous.request(method, "/api/v1/einheiten")
    assert r.status_code == 401
