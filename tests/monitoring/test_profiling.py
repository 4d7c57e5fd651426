import re

import pytest

from modular_server.testing import BOTH

N_PLUS_ONE = "/api/v1/monshop/widgets-n-plus-one"
FIXED = "/api/v1/monshop/widgets"


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_headers_report_exact_statement_counts(monitored, backend):
    # SQLite read sessions send an explicit BEGIN (the core takes over transaction control)
    begin = 1 if backend == "sqlite" else 0
    async with monitored() as running:
        for path, expected in ((FIXED, 1), (N_PLUS_ONE, 7), ("/api/v1/monshop/widgets/3", 1), ("/health/live", 0)):
            with running.count_statements() as sql:
                r = await running.client.get(path)
            assert r.status_code == 200, r.text
            extra = begin if expected else 0
            assert sql.count == expected + extra, (path, sql.statements)
            assert r.headers["x-query-count"] == str(sql.count)
            timing = r.headers["server-timing"]
            assert re.fullmatch(rf'app;dur=[\d.]+, db;dur=[\d.]+;desc="{sql.count} statements"', timing), timing


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_n_plus_one_route_is_flagged_and_fixed_route_is_not(monitored, caplog):
    async with monitored() as running:
        caplog.set_level("WARNING", logger="modular_server.monitoring")
        for _ in range(2):
            assert (await running.client.get(N_PLUS_ONE)).status_code == 200
            assert (await running.client.get(FIXED)).status_code == 200

        offenders = (await running.client.get("/api/v1/performance/n-plus-one")).json()["items"]
        assert [(o["route"], o["occurrences"], o["max_count"]) for o in offenders] == [(N_PLUS_ONE, 2, 6)]
        assert offenders[0]["fingerprint"].startswith("SELECT monshop_category.name FROM monshop_category WHERE")
        warnings = [r.getMessage() for r in caplog.records if "N+1" in r.getMessage()]
        assert len(warnings) == 2
        assert all(f"GET {N_PLUS_ONE}: 6 executions" in w for w in warnings)

        routes = {r["route"]: r for r in (await running.client.get("/api/v1/performance/routes")).json()["items"]}
        assert routes[N_PLUS_ONE]["n_plus_one"] == 2
        assert routes[N_PLUS_ONE]["statements_max"] >= 7
        assert routes[FIXED]["n_plus_one"] == 0
        stats = (await running.client.get("/api/v1/performance/stats")).json()
        assert stats["n_plus_one"] == 2


async def test_strict_mode_turns_n_plus_one_into_a_problem(monitored):
    async with monitored(strict_n_plus_one=True) as running:
        r = await running.client.get(N_PLUS_ONE)
        assert r.status_code == 500
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert problem["title"] == "N+1 query pattern detected"
        assert problem["route"] == N_PLUS_ONE
        assert problem["count"] == 6
        assert problem["threshold"] == 5
        assert (await running.client.get(FIXED)).status_code == 200


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_routes_aggregate_per_template_never_per_path(monitored):
    async with monitored() as running:
        for widget_id in (1, 2, 3, 999):
            assert (await running.client.get(f"/api/v1/monshop/widgets/{widget_id}")).status_code == 200
        assert (await running.client.get("/api/v1/monshop/boom")).status_code == 500
        assert (await running.client.get("/api/v1/monshop/nowhere/17")).status_code == 404

        items = (await running.client.get("/api/v1/performance/routes")).json()["items"]
        by_route = {(r["method"], r["route"]): r for r in items}
        templated = by_route[("GET", "/api/v1/monshop/widgets/{widget_id}")]
        assert templated["requests"] == 4
        assert templated["statements_mean"] == templated["statements_max"]
        assert len(templated["series"]) == 1 and templated["series"][0]["requests"] == 4
        assert by_route[("GET", "/api/v1/monshop/boom")]["server_errors"] == 1
        assert by_route[("GET", "(other)")]["client_errors"] == 1
        assert not any(re.search(r"/\d+$", route) for _, route in by_route)


async def test_percentiles_of_the_api_match_the_recorded_latencies(monitored):
    """The per-route latency shown equals what the histogram computes from the requests' own times."""
    async with monitored() as running:
        for _ in range(20):
            await running.client.get(FIXED)
        route = next(
            r for r in (await running.client.get("/api/v1/performance/routes")).json()["items"] if r["route"] == FIXED
        )
        latency = route["latency"]
        assert route["requests"] == 21
        assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]
