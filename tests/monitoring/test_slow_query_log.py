"""The slow-query log line says where the statement ran: a request's method and route, or
background work (it said "on None None")."""

from __future__ import annotations

import logging

import pytest

from modular_server.plugin import QueryInfo, RequestContext
from modular_server.plugins.monitoring.recorder import Recorder
from modular_server.plugins.monitoring.settings import MonitoringSettings


def _slow_query(fingerprint: str) -> QueryInfo:
    return QueryInfo(
        fingerprint=fingerprint,
        statement=fingerprint,
        duration=2.5,
        rowcount=1,
        is_select=True,
        executemany=False,
        dialect="postgresql",
    )


@pytest.mark.parametrize(
    ("in_request", "where"),
    [(True, "on GET /api/v1/chargen/{charge_id}"), (False, "in background work")],
)
def test_a_slow_statement_is_logged_with_where_it_ran(caplog, in_request: bool, where: str) -> None:
    recorder = Recorder(MonitoringSettings())
    ctx = None
    if in_request:
        ctx = RequestContext(
            app=None, request_id="r", method="GET", path="/api/v1/chargen/5", route="/api/v1/chargen/{charge_id}"
        )
    with caplog.at_level(logging.WARNING, logger="modular_server.monitoring"):
        recorder.statement(ctx, _slow_query("SELECT charge.id FROM charge"))
    (line,) = [r.getMessage() for r in caplog.records]
    assert line == f"slow query (2500.0 ms) {where}: SELECT charge.id FROM charge"
    assert "None" not in line
