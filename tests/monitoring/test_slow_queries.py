import json

import pytest
from sqlalchemy import text

from modular_server.plugins.monitoring.logthrottle import LogThrottle
from modular_server.testing import BOTH
from tests.monitoring.shop.routes import SECRET_LITERAL
from tests.monitoring.support import SECRET

SLOW = "/api/v1/monshop/slow"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_pg_sleep_is_captured_with_a_generic_plan(monitored, caplog):
    async with monitored(slow_query_ms=100) as running:
        caplog.set_level("WARNING", logger="modular_server.monitoring")
        assert (await running.client.get(SLOW, params={"name": SECRET, "pause": 0.15})).status_code == 200
        assert (await running.client.get("/api/v1/monshop/widgets")).status_code == 200  # fast: not recorded

        items = (await running.client.get("/api/v1/performance/slow-queries")).json()["items"]
        assert len(items) == 1
        slow = items[0]
        assert slow["route"] == SLOW and slow["method"] == "GET"
        assert slow["duration_ms"] >= 150
        assert slow["fingerprint"].startswith("SELECT w.id FROM monshop_widget w, pg_sleep(")
        assert slow["plan_note"] is None
        plan = json.dumps(slow["plan"])
        assert '"Relation Name": "monshop_widget"' in plan
        assert "$2" in plan  # the filter shows the placeholder, not the value
        assert SECRET not in plan and "0.15" not in plan
        assert any("slow query" in r.getMessage() for r in caplog.records)
        stats = (await running.client.get("/api/v1/performance/stats")).json()
        assert stats["slow_queries"] == 1


async def test_every_statement_is_slow_with_a_zero_threshold_on_sqlite(monitored):
    async with monitored(slow_query_ms=0) as running:
        assert (await running.client.get(SLOW, params={"name": SECRET})).status_code == 200
        items = (await running.client.get("/api/v1/performance/slow-queries", params={"limit": 500})).json()["items"]
        ours = [i for i in items if i["route"] == SLOW]
        fingerprints = {i["fingerprint"] for i in ours}
        assert "SELECT w.id FROM monshop_widget w WHERE w.name <> ?" in fingerprints
        assert all(i["plan"] is None and i["plan_note"] == "plans are collected on PostgreSQL only" for i in ours)
        # the monitoring plugin's own flushes are never recorded as slow queries
        assert not any("monitoring_" in i["fingerprint"] for i in items)


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_no_parameter_value_reaches_records_logs_metrics_or_dashboard(monitored, caplog, backend):
    caplog.set_level("DEBUG", logger="modular_server")  # (aiosqlite's own DEBUG log shows values: not ours)
    async with monitored(slow_query_ms=0, explain_interval_seconds=0) as running:
        for _ in range(2):
            r = await running.client.get("/api/v1/monshop/search", params={"name": SECRET})
            assert r.status_code == 200
        await running.client.get(SLOW, params={"name": SECRET, "pause": 0})
        shown = []
        for path in ("stats", "routes", "slow-queries?limit=500", "n-plus-one", "daily-summary/2026-01-01"):
            r = await running.client.get(f"/api/v1/performance/{path}")
            assert r.status_code == 200
            shown.append(r.text)
        shown.append((await running.anonymous.get("/metrics")).text)
        shown.append((await running.anonymous.get("/db-performance")).text)
        async with running.app.state.db.session() as session:
            for table in ("monitoring_route_window", "monitoring_slow_query", "monitoring_n_plus_one"):
                rows = (await session.execute(text(f"SELECT * FROM {table}"))).all()
                assert rows, table
                shown.append(repr(rows))

        logged = [r.getMessage() for r in caplog.records if r.name.startswith("modular_server")]
        assert any("N+1" in line for line in logged) and any("slow query" in line for line in logged)
        everything = "\n".join(shown + logged)
        assert "monshop_widget.name = ?" in everything  # the statements themselves are there ...
        assert SECRET not in everything and SECRET_LITERAL not in everything  # ... their values are not
        slow = json.loads(shown[2])["items"]
        assert any(i["route"] == "/api/v1/monshop/search" for i in slow)
        offenders = json.loads(shown[3])["items"]
        assert [o["route"] for o in offenders] == ["/api/v1/monshop/search"]


def test_the_throttle_logs_a_key_once_per_interval_and_counts_the_rest():
    now = [100.0]
    throttle = LogThrottle(10.0, clock=lambda: now[0])
    assert throttle.admit("a") == 0
    assert [throttle.admit("a") for _ in range(3)] == [None, None, None]
    assert throttle.admit("b") == 0  # keys are throttled apart
    now[0] += 10.0
    assert throttle.admit("a") == 3  # the next line says how many were left out
    assert throttle.admit("a") is None
    assert [LogThrottle(0).admit("a") for _ in range(3)] == [0, 0, 0]  # 0: every occurrence


@pytest.mark.parametrize(("interval", "lines"), [(10.0, 1), (0, 3)])
async def test_a_repeated_slow_statement_is_logged_once_per_interval_and_recorded_every_time(
    monitored, caplog, interval: float, lines: int
):
    async with monitored(slow_query_ms=0, slow_query_log_interval_seconds=interval) as running:
        caplog.set_level("WARNING", logger="modular_server.monitoring")
        caplog.clear()
        for _ in range(3):
            assert (await running.client.get(SLOW, params={"name": SECRET})).status_code == 200
        fingerprint = "SELECT w.id FROM monshop_widget w WHERE w.name <> ?"
        logged = [r.getMessage() for r in caplog.records if fingerprint in r.getMessage()]
        assert len(logged) == lines, logged
        items = (await running.client.get("/api/v1/performance/slow-queries", params={"limit": 500})).json()["items"]
        assert sum(i["fingerprint"] == fingerprint for i in items) == 3  # the dashboard sees every one
