"""The CI version of ``make loadtest``: 30 s of mixed traffic from 64 clients against two
workers on PostgreSQL and Redis. It asserts behaviour (no 5xx, the ledger agrees with every
acknowledged booking and with the balances); latency drift and RSS are reported, not asserted."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks.loadtest import report
from benchmarks.loadtest.run import LoadtestConfig, run_loadtest


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_thirty_seconds_of_mixed_load_keep_the_ledger_consistent(
    database_url: str, redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    config = LoadtestConfig(
        duration=30,
        window=10,
        clients=64,
        workers=2,
        scale=1,
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
    )
    result = run_loadtest(config)
    report.write(result, tmp_path)
    print((tmp_path / "loadtest-latest.md").read_text())  # p99 per window, drift and RSS in the test log

    assert sum(w.requests for w in result.windows) > 0
    assert result.server_errors == 0
    assert result.failures == 0
    assert sum(w.by_tag.get("booking", 0) for w in result.windows) > 0
    ledger = result.ledger
    assert ledger.acknowledged > 0
    assert (ledger.lost, ledger.duplicated, ledger.wrong_id) == ([], [], [])
    assert ledger.balance_mismatches == 0
    assert ledger.verify_exit_code == 0, ledger.verify_output
