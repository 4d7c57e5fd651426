"""The anomaly benchmark: its verdicts and report (pure), and a short real run on scale 1 that
proves the machinery (a job with rescoring polled to its end, a paced stream scored live).
Timings are reported by the benchmark, never asserted here."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
from benchmarks.anomaly import report
from benchmarks.anomaly.feed import FeedResult, batch_bodies
from benchmarks.anomaly.run import AnomalyBenchConfig, AnomalyBenchResult, JobFigures, run_anomaly_bench
from benchmarks.probe import Facts


def _job(status: str = "succeeded", seconds: float = 30.0) -> JobFigures:
    return JobFigures(
        answered_ms=20.0,
        status=status,
        seconds=seconds,
        training_seconds=20.0,
        movements_seen=50_000,
        movements_scored=40_000,
        anomalies_found=400,
        models_trained=8,
        samples=40_000,
        error=None if status == "succeeded" else "boom",
    )


def _result(job: JobFigures, live: FeedResult) -> AnomalyBenchResult:
    return AnomalyBenchResult(
        config=asdict(AnomalyBenchConfig()), started="now", rows={"lagerbewegung": 1}, job=job, live=live
    )


def test_every_target_decides_the_verdict_and_the_report_says_which() -> None:
    steady = FeedResult(seconds=30.0, booked=30_000, failed_batches=0, lag_samples=[0, 900, 400], catch_up_seconds=0.5)
    assert steady.rate == 1000.0 and steady.max_lag == 900
    good = _result(_job(), steady)
    assert good.passed and "**Overall: PASS**" in report.markdown(good)

    slow_job = _result(_job(seconds=61.0), steady)
    failed_job = _result(_job(status="failed", seconds=1.0), steady)
    assert not slow_job.job_within_limit and not failed_job.job_within_limit
    assert "The job failed: `boom`" in report.markdown(failed_job)

    throttled = _result(_job(), FeedResult(seconds=30.0, booked=20_000, failed_batches=0, catch_up_seconds=0.5))
    assert not throttled.offered_rate_reached and not throttled.passed

    behind = _result(_job(), FeedResult(seconds=30.0, booked=30_000, failed_batches=0, catch_up_seconds=None))
    assert not behind.kept_up
    text = report.markdown(behind)
    assert "**Overall: FAIL**" in text and "never (within the wait)" in text
    assert behind.to_dict()["kept_up"] is False


def test_batches_cycle_over_the_sampled_stock() -> None:
    facts = Facts(
        chargen=1,
        charge_ids=[1],
        artikel_ids=[1],
        kategorie="k",
        kategorie_artikel=1,
        bestand=[(1, 10, 100, "5"), (2, None, 200, "7")],
        rows={},
        server_version="-",
    )
    (body,) = batch_bodies(facts, 3)
    assert [i["artikel_id"] for i in body["items"]] == [1, 2, 1]
    assert body["items"][1] == {
        "typ": "eingang",
        "artikel_id": 2,
        "charge_id": None,
        "nach_lagerort_id": 200,
        "menge": "1",
    }


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_short_run_trains_rescored_and_scores_the_stream_live(database_url: str, tmp_path: Path) -> None:
    config = AnomalyBenchConfig(scale=1, database_url=database_url, feed_rate=200.0, feed_seconds=3.0)
    result = run_anomaly_bench(config)
    paths = report.write(result, tmp_path)
    print(paths[1].read_text())  # the figures, in the test log

    assert result.job.status == "succeeded", result.job.error
    assert result.job.models_trained > 0
    assert result.job.movements_seen == result.rows["lagerbewegung"]  # the rescore read the whole ledger
    assert result.live.failed_batches == 0
    assert result.live.booked == 600  # 3 s at 200/s in batches of 100
    assert result.live.catch_up_seconds is not None  # scoring reached the last booking
    assert {p.name for p in paths} == {"anomaly-latest.json", "anomaly-latest.md"}
