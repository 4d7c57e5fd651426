"""The database goes away and comes back: 503 problem+json meanwhile, recovery without restart."""

import pytest
from sqlalchemy.engine import make_url

from modular_server.testing.proxy import TcpProxy


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_database_cut_answers_503_and_recovers(make_app, database_url):
    url = make_url(database_url)
    async with TcpProxy(url.host, url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        async with make_app(database_url=proxied, database_timeout_seconds=2) as running:
            assert (await running.client.get("/api/v1/system/keys")).status_code == 200
            keys_before = len((await running.client.get("/api/v1/system/keys")).json()["items"])

            await proxy.cut()
            down = await running.client.get("/api/v1/system/keys")
            assert down.status_code == 503
            assert down.headers["content-type"] == "application/problem+json"
            assert down.headers["retry-after"]
            assert "Traceback" not in down.text
            write = await running.client.post("/api/v1/system/keys", json={"name": "während-ausfall", "scope": "read"})
            assert write.status_code == 503
            ready = await running.anonymous.get("/health/ready")
            assert ready.status_code == 503
            assert ready.json()["checks"]["database"]["status"] == "fail"

            await proxy.restore()
            recovered = await running.client.get("/api/v1/system/keys")
            assert recovered.status_code == 200
            assert len(recovered.json()["items"]) == keys_before, "nothing half-written during the outage"
            assert (await running.anonymous.get("/health/ready")).status_code == 200
