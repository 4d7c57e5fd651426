"""Database errors answered by their cause: bad input 422 (or 404), timeouts 503 with their own
types, serialization failures retried, only a lost database "database-unavailable"; an OSError
that is not the database's is a 500."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from modular_server.testing import BOTH
from modular_server.testing.proxy import TcpProxy
from tests.http import stall

PROBLEM = "urn:modular-server:problem:"
OUT_OF_INT4 = "-55940653952996448"
OUT_OF_INT8 = str(2**70)


def _problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == PROBLEM + slug, body
    assert body["request_id"] == response.headers["x-request-id"]
    return body


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_an_id_beyond_the_column_is_bad_input_never_an_outage(make_app, backend, caplog):
    async with make_app() as running:
        caplog.set_level(logging.INFO, "modular_server.errors")
        for ident in (OUT_OF_INT4, OUT_OF_INT8):
            r = await running.client.get(f"/api/v1/einheiten/{ident}")
            if r.status_code == 404:
                # SQLite stores 64-bit integers: an id that fits is simply not there
                assert backend == "sqlite" and ident == OUT_OF_INT4
                continue
            body = _problem(r, 422, "value-out-of-range")
            assert body["errors"] == [{"field": "path.einheit_id", "reason": "out of the range the database can store"}]
            assert "retry-after" not in r.headers
        # the log names the cause (class and SQLSTATE), never the value
        assert OUT_OF_INT4 not in caplog.text and OUT_OF_INT8 not in caplog.text
        assert "database unavailable" not in caplog.text
        if backend == "postgresql":
            assert "SQLSTATE 22" in caplog.text


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_statement_timeout_is_a_503_of_its_own(make_app, backend, caplog):
    async with make_app([stall]) as running:
        caplog.set_level(logging.INFO, "modular_server.errors")
        r = await running.client.get("/api/v1/stall/statement-timeout")
        body = _problem(r, 503, "database-statement-timeout")
        assert body["title"] == "Database statement timeout"
        assert r.headers["retry-after"].isdigit()
        assert "57014" in caplog.text


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_lock_timeout_is_a_503_of_its_own(make_app, backend, database_url, caplog):
    holder = create_async_engine(database_url)
    async with make_app([stall]) as running:
        caplog.set_level(logging.INFO, "modular_server.errors")
        async with holder.connect() as conn, conn.begin():
            await conn.execute(text(f"LOCK TABLE {stall.LOCKED_TABLE} IN ACCESS EXCLUSIVE MODE"))
            r = await running.client.get("/api/v1/stall/lock-timeout")
        _problem(r, 503, "database-lock-timeout")
        assert r.headers["retry-after"].isdigit()
        assert "55P03" in caplog.text
        # once the lock is gone the same route works
        assert (await running.client.get("/api/v1/stall/lock-timeout")).status_code == 200
    await holder.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_serialization_failures_are_retried_and_only_then_busy(make_app, backend):
    async with make_app([stall]) as running:
        retried = await running.client.post("/api/v1/stall/serialization", params={"fail_times": 2})
        assert retried.status_code == 200, retried.text
        assert retried.json() == {"attempts": 3}
        exhausted = await running.client.post("/api/v1/stall/serialization", params={"fail_times": 99})
        _problem(exhausted, 503, "database-busy")
        assert exhausted.headers["retry-after"].isdigit()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_lost_database_is_unavailable_and_comes_back(make_app, backend, database_url):
    url = make_url(database_url)
    async with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        async with make_app([stall], database_url=through_proxy) as running:
            assert (await running.client.get("/api/v1/stall/ping")).json() == {"one": 1}
            await proxy.cut()
            for _ in range(2):  # first the open connections are dropped, then new ones refused
                r = await running.client.get("/api/v1/stall/ping")
                body = _problem(r, 503, "database-unavailable")
                assert body["title"] == "Database unavailable"
                assert r.headers["retry-after"].isdigit()
            await proxy.restore()
            assert (await running.client.get("/api/v1/stall/ping")).json() == {"one": 1}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_an_os_error_elsewhere_is_a_500_not_an_outage(make_app, backend):
    async with make_app([stall], discover=False) as running:
        r = await running.client.get("/api/v1/stall/os-error", headers={"X-Request-ID": "os-error-1"})
        body = _problem(r, 500, "internal-error")
        assert body["request_id"] == "os-error-1"
        assert "missing.html" not in r.text and "retry-after" not in r.headers
