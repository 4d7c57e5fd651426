import importlib.metadata

import pytest

from modular_server.core.sources import ENTRY_POINT_GROUP
from modular_server.testing import BOTH


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_starts_and_authenticates(make_app):
    async with make_app() as running:
        assert (await running.anonymous.get("/health/live")).status_code == 200
        ready = await running.anonymous.get("/health/ready")
        assert ready.status_code == 200, ready.text
        r = await running.anonymous.get("/api/v1/system/plugins")
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        r = await running.as_scope("write").get("/api/v1/system/plugins")
        assert r.status_code == 403
        r = await running.client.get("/api/v1/system/plugins")
        assert r.status_code == 200, r.text
        installed = {ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
        assert {item["name"] for item in r.json()["items"]} == installed
