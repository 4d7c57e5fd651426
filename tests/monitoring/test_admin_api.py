from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from modular_server.plugins.monitoring.histogram import Histogram
from modular_server.plugins.monitoring.models import NPlusOne, RouteWindow, SlowQuery
from modular_server.plugins.monitoring.service import _empty_window
from modular_server.testing import BOTH

FIXED = "/api/v1/monshop/widgets"


def families(body: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(body)}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_metrics_parse_and_carry_route_templates(monitored):
    async with monitored() as running:
        for widget_id in (1, 2):
            await running.client.get(f"/api/v1/monshop/widgets/{widget_id}")
        await running.client.get("/api/v1/monshop/widgets-n-plus-one")
        r = await running.anonymous.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        found = families(r.text)

        requests = {
            (s.labels["route"], s.labels["status"]): s.value
            for s in found["modular_server_http_requests"].samples
            if s.name.endswith("_total")
        }
        assert requests[("/api/v1/monshop/widgets/{widget_id}", "2xx")] == 2
        assert requests[(FIXED, "2xx")] == 1  # the fixture's warm-up request
        routes = {s.labels["route"] for f in found.values() for s in f.samples if "route" in s.labels}
        assert all("{" in r or r.startswith("(") or r.count("/") <= 4 for r in routes)
        assert not any(r.endswith(("/1", "/2")) for r in routes)

        histogram = [s for s in found["modular_server_http_request_duration_seconds"].samples]
        count = next(
            s.value for s in histogram if s.name.endswith("_count") and s.labels["route"].endswith("{widget_id}")
        )
        inf = next(s.value for s in histogram if s.labels.get("le") == "+Inf" and s.labels["route"].endswith("}"))
        assert count == inf == 2
        statements = {s.labels["route"]: s.value for s in found["modular_server_db_statements"].samples}
        assert statements["/api/v1/monshop/widgets-n-plus-one"] >= 7
        n_plus_one = {s.labels["route"]: s.value for s in found["modular_server_n_plus_one"].samples}
        assert n_plus_one["/api/v1/monshop/widgets-n-plus-one"] == 1
        assert found["modular_server_monitoring_workers"].samples[0].value == 1

        # counters only grow between scrapes
        await running.client.get(FIXED)
        again = families((await running.anonymous.get("/metrics")).text)
        after = {
            (s.labels["route"], s.labels["status"]): s.value
            for s in again["modular_server_http_requests"].samples
            if s.name.endswith("_total")
        }
        assert after[(FIXED, "2xx")] == 2


async def test_metrics_token_is_required_when_set(monitored):
    async with monitored(metrics_token="s3cret-scrape") as running:
        r = await running.anonymous.get("/metrics")
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        r = await running.anonymous.get("/metrics", headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
        r = await running.anonymous.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
        assert r.status_code == 200
        assert "modular_server_http_requests_total" in r.text


async def test_admin_api_needs_the_admin_scope(monitored):
    async with monitored() as running:
        assert (await running.anonymous.get("/api/v1/performance/stats")).status_code == 401
        assert (await running.as_scope("write").get("/api/v1/performance/stats")).status_code == 403
        assert (await running.as_scope("write").post("/api/v1/performance/clear-old-data")).status_code == 403
        assert (await running.client.get("/api/v1/performance/stats?hours=0")).status_code == 422


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_daily_summary_of_today_and_of_an_empty_day(monitored):
    async with monitored() as running:
        await running.client.get("/api/v1/monshop/widgets-n-plus-one")
        today = datetime.now(UTC).date()
        summary = (await running.client.get(f"/api/v1/performance/daily-summary/{today}")).json()
        assert summary["date"] == str(today)
        assert summary["requests"] == 2  # the warm-up and the N+1 request
        assert summary["n_plus_one"] == 1
        assert {r["route"] for r in summary["routes"]} == {FIXED, "/api/v1/monshop/widgets-n-plus-one"}
        assert summary["latency"]["p50_ms"] > 0

        empty = (await running.client.get("/api/v1/performance/daily-summary/2020-02-29")).json()
        assert empty == {
            "date": "2020-02-29",
            "requests": 0,
            "client_errors": 0,
            "server_errors": 0,
            "latency": {"p50_ms": None, "p95_ms": None, "p99_ms": None, "mean_ms": None, "max_ms": None},
            "statements_mean": None,
            "db_time_ms_mean": None,
            "slow_queries": 0,
            "n_plus_one": 0,
            "routes": [],
        }
        assert (await running.client.get("/api/v1/performance/daily-summary/2020-13-01")).status_code == 422


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_clear_old_data_removes_only_what_is_past_retention(monitored):
    async with monitored(retention_days=7) as running:
        old = datetime.now(UTC) - timedelta(days=8)

        async def plant(session):
            window = _empty_window(old, "old-worker", "GET", FIXED)
            window.requests = 3
            window.latency = Histogram().to_json()
            session.add(window)
            common = {"occurred_at": old, "worker": "old-worker", "method": "GET", "route": FIXED}
            session.add(SlowQuery(**common, fingerprint="SELECT ?", fingerprint_hash="x", duration_us=1, dialect="x"))
            session.add(NPlusOne(**common, fingerprint="SELECT ?", fingerprint_hash="x", count=9))

        await running.app.state.db.transaction(plant)
        week = (await running.client.get("/api/v1/performance/stats?hours=240")).json()
        assert week["requests"] == 4 and week["workers"] == 2

        r = await running.client.post("/api/v1/performance/clear-old-data")
        assert r.status_code == 200
        cleared = r.json()
        assert (cleared["route_windows"], cleared["slow_queries"], cleared["n_plus_one"]) == (1, 1, 1)
        week = (await running.client.get("/api/v1/performance/stats?hours=240")).json()
        # left: the warm-up, the first stats request and the clear request (recorded like any other)
        assert week["requests"] == 3 and week["slow_queries"] == 0 and week["n_plus_one"] == 0
        async with running.app.state.db.session() as session:
            workers = set(await session.scalars(select(RouteWindow.worker)))
        assert workers == {running.app.state.host.data["monitoring"].worker}


async def test_worker_totals_are_combined_through_redis(make_app, redis_url, redis_prefix):
    from tests.monitoring import shop
    from tests.monitoring.shop.routes import seed

    monitoring = {"flush_interval_seconds": 3600}
    async with make_app(
        plugins=[shop], only=["monitoring"], redis_url=redis_url, redis_prefix=redis_prefix, monitoring=monitoring
    ) as running:
        await seed(running.app)
        monitor = running.app.state.host.data["monitoring"]
        for _ in range(3):
            await running.client.get(FIXED)

        # a second worker of the same deployment pushes its own figures to the same Redis hash
        from modular_server.plugins.monitoring.recorder import RouteFigures
        from modular_server.plugins.monitoring.totals import RedisTotals

        other = RedisTotals(monitor.totals.client, redis_prefix, "other-worker", stale_after=60)
        figures = RouteFigures()
        figures.status_classes[1] = 5
        figures.statements = 5
        for _ in range(5):
            figures.latency.record(0.002)
        await other.add({("GET", FIXED): figures})

        found = families((await running.anonymous.get("/metrics")).text)
        requests = {
            s.labels["route"]: s.value
            for s in found["modular_server_http_requests"].samples
            if s.name.endswith("_total")
        }
        assert requests[FIXED] == 3 + 5
        assert found["modular_server_monitoring_workers"].samples[0].value == 2
        durations = found["modular_server_http_request_duration_seconds"].samples
        count = next(s.value for s in durations if s.name.endswith("_count") and s.labels["route"] == FIXED)
        assert count == 8
