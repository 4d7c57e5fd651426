"""Every error is problem+json (404/405/422/409/500); /health/ready reflects plugin checks."""

from __future__ import annotations

import pytest

from modular_server.testing import BOTH
from tests.fakes import healthy, widgets

PROBLEM = "application/problem+json"


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:modular-server:problem:")
    assert {"title", "detail"} <= set(body)
    return body


async def test_not_found_and_method_not_allowed(make_app):
    async with make_app([widgets], discover=False) as running:
        missing = _problem(await running.client.get("/api/v1/widgets/999"), 404)
        assert missing["detail"] == "widget 999 does not exist"
        assert missing["instance"] == "/api/v1/widgets/999" and missing["request_id"]
        _problem(await running.client.get("/api/v1/no-such-thing"), 404)
        _problem(await running.anonymous.get("/no-such-page"), 404)
        wrong_method = await running.client.put("/api/v1/widgets")
        _problem(wrong_method, 405)
        assert "GET" in wrong_method.headers["allow"]


async def test_validation_error_lists_each_failing_field(make_app):
    async with make_app([widgets], discover=False) as running:
        body = _problem(await running.client.post("/api/v1/widgets", json={"name": "", "group_id": "x"}), 422)
        assert [e["field"] for e in body["errors"]] == ["body.name", "body.group_id"]
        assert all(e["reason"] for e in body["errors"])
        assert _problem(await running.client.get("/api/v1/widgets/not-a-number"), 422)["errors"][0]["field"] == (
            "path.widget_id"
        )
        broken_json = await running.client.post(
            "/api/v1/widgets", content=b"{not json", headers={"content-type": "application/json"}
        )
        _problem(broken_json, 422)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_integrity_error_is_a_409_without_values(make_app, backend):
    async with make_app([widgets], discover=False) as running:
        group = (await running.client.post("/api/v1/widgets/groups", json={"name": "Einzigartig-77"})).json()
        body = _problem(await running.client.post("/api/v1/widgets/groups", json={"name": "Einzigartig-77"}), 409)
        assert body["type"] == "urn:modular-server:problem:integrity-conflict"
        assert "Einzigartig-77" not in str(body)
        if backend == "postgresql":
            assert body["constraint"] == "uq_fake_widget_group_name"
        # a foreign key pointing nowhere is a conflict too, not a 500
        _problem(await running.client.post("/api/v1/widgets", json={"name": "lost", "group_id": group["id"] + 99}), 409)


async def test_unexpected_error_is_a_500_with_request_id_and_no_internals(make_app):
    async with make_app([widgets], discover=False) as running:
        r = await running.client.get("/api/v1/widgets/boom", headers={"X-Request-ID": "trace-me-42"})
        body = _problem(r, 500)
        assert body["request_id"] == "trace-me-42"
        assert body["instance"] == "/api/v1/widgets/boom"
        assert "Traceback" not in r.text and "secret-internal-detail" not in r.text and "RuntimeError" not in r.text


async def test_health_ready_fails_when_a_plugin_check_fails(make_app):
    async with make_app([widgets, healthy], discover=False) as running:
        ready = await running.anonymous.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "ok",
            "checks": {
                "database": {"status": "ok", "detail": ""},
                "widgets.supplier": {"status": "ok", "detail": ""},
            },
            "plugins": {"active": 2},
        }
        running.app.state.host.data["widgets"]["healthy"] = False
        failing = await running.anonymous.get("/health/ready")
        assert failing.status_code == 503
        assert failing.json()["status"] == "fail"
        assert failing.json()["checks"]["widgets.supplier"] == {
            "status": "fail",
            "detail": "widget supplier unreachable",
        }
        assert (await running.anonymous.get("/health/live")).status_code == 200
