"""GET reads on PostgreSQL run without a transaction around them (no BEGIN and ROLLBACK round
trips); every other session, and SQLite reads, keep theirs."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from modular_server.testing import BOTH

# a transaction id per statement: the same twice when both run in one transaction
XACT_ID = text("SELECT pg_current_xact_id()::text")


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_reads_for_get_requests_are_one_transaction_per_statement(make_app) -> None:
    async with make_app(only=["artikel"]) as running:
        db = running.app.state.db
        async with db.session(replica=True, autocommit=True) as session:
            first, second = [await session.scalar(XACT_ID) for _ in range(2)]
            assert first != second
        async with db.session() as session:  # any other read keeps its transaction
            first, second = [await session.scalar(XACT_ID) for _ in range(2)]
            assert first == second
        # and the reads of GET requests still answer (one statement: no BEGIN is counted anyway)
        response = await running.client.get("/api/v1/artikel")
        assert (response.status_code, response.headers.get("x-query-count", "1")) == (200, "1")


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_only_postgresql_reads_run_in_autocommit(make_app, backend: str) -> None:
    async with make_app(only=["artikel"]) as running:
        async with running.app.state.db.session(autocommit=True) as session:
            assert await session.scalar(text("SELECT 1")) == 1
            level = (await session.connection()).sync_connection.get_execution_options().get("isolation_level")
        assert (level == "AUTOCOMMIT") is (backend == "postgresql")
