"""No API key, secret or SQL parameter value reaches a log line."""

import logging

import pytest

from modular_server.testing import BOTH
from tests.inventory.world import build_world

SECRET_NUMBER = "GEHEIM-4711-XYZ"


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_captured_logs_hold_no_key_secret_or_parameter(make_app, caplog):
    # the server's loggers at their most talkative, SQLAlchemy at statement level (echo=True; its
    # DEBUG level prints result rows by design); the test client's own httpx log is not the server's
    for name in ("modular_server", "uvicorn", "alembic"):
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.INFO, logger="sqlalchemy")
    async with make_app(log_sql_parameters=False) as running:
        w = await build_world(running.client)
        # a value that travels as an SQL parameter, and errors that get logged
        await running.client.post("/api/v1/artikel", json={"nummer": SECRET_NUMBER, "name": "x", "einheit_id": w.kg})
        await running.client.post("/api/v1/artikel", json={"nummer": SECRET_NUMBER, "name": "y", "einheit_id": w.kg})
        await running.client.get("/api/v1/artikel", params={"nummer": SECRET_NUMBER})
        await running.anonymous.get("/api/v1/artikel", headers={"Authorization": "Bearer msk_not_a_real_key_at_all"})
        await running.client.post(
            "/api/v1/bewegungen",
            json={
                "typ": "ausgang",
                "artikel_id": w.artikel,
                "charge_id": w.chargen[0],
                "von_lagerort_id": w.orte[0],
                "menge": "999",
            },
        )
        issued = await running.client.post("/api/v1/system/keys", json={"name": "terminal-9", "scope": "read"})
        new_key = issued.json()["key"]
        await running.app.state.host.stop(running.app)
        logged = "\n".join(
            record.getMessage() + (str(record.exc_info) if record.exc_info else "") for record in caplog.records
        )
        logged += caplog.text
        for secret in (*running.keys.values(), new_key, SECRET_NUMBER, "msk_not_a_real_key_at_all"):
            assert secret not in logged, f"{secret[:12]}... appeared in the logs"
