"""anomaly-latest.md / .json in benchmarks/results/."""

from __future__ import annotations

from pathlib import Path

from benchmarks.anomaly.run import AnomalyBenchResult
from benchmarks.report import RESULTS_DIR, number, write_result_files


def write(result: AnomalyBenchResult, directory: Path = RESULTS_DIR) -> list[Path]:
    return write_result_files(directory, "anomaly-latest", result.to_dict(), markdown(result))


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def markdown(result: AnomalyBenchResult) -> str:
    config, job, live = result.config, result.job, result.live
    catch_up = "never (within the wait)" if live.catch_up_seconds is None else f"{live.catch_up_seconds:.1f} s"
    training = "-" if job.training_seconds is None else f"{job.training_seconds:.1f} s"
    rescoring = job.seconds - (job.training_seconds or 0.0)
    rescore_rate = job.movements_seen / rescoring if rescoring > 0 else None
    lines = [
        "# Anomaly detection benchmark",
        "",
        f"Started {result.started}: `modular-server serve` (one worker) on PostgreSQL, "
        f"`demo-data --scale {config['scale']}` ({', '.join(f'{t} {n:,}' for t, n in result.rows.items())}).",
        "",
        f"**Overall: {'PASS' if result.passed else 'FAIL'}**",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
        f'| `POST /train {{"rescore": true}}` answers at once (202, a job to poll) | {number(job.answered_ms)} ms '
        "| reported |",
        f"| the whole job (train + rescore every movement) within {number(config['job_limit_seconds'])} s "
        f"| {job.status} in {job.seconds:.1f} s (training {training}) | {_verdict(result.job_within_limit)} |",
        f"| the server takes {number(config['feed_rate'])} bookings/s for {number(config['feed_seconds'])} s "
        f"(batches of {config['batch_size']}) | {number(live.rate)} bookings/s, {live.failed_batches} failed batches "
        f"| {_verdict(result.offered_rate_reached)} |",
        f"| live scoring keeps up: scored within {number(config['catch_up_limit_seconds'])} s of the last booking "
        f"| {catch_up}; largest backlog {live.max_lag:,} movements | {_verdict(result.kept_up)} |",
        "",
        "| job figure | value |",
        "|---|---:|",
        f"| models trained | {job.models_trained} |",
        f"| feature vectors trained on | {job.samples:,} |",
        f"| movements read by the rescore | {job.movements_seen:,} |",
        f"| of those judged by a model | {job.movements_scored:,} |",
        f"| new anomalies stored | {job.anomalies_found:,} |",
        f"| rescoring throughput (movements read / seconds after training) | {number(rescore_rate)} movements/s |",
        "",
        "Backlog once a second while the bookings streamed (newest movement id - scored position): "
        + (", ".join(f"{n:,}" for n in live.lag_samples) or "-"),
    ]
    if job.error:
        lines += ["", f"The job failed: `{job.error}`"]
    return "\n".join(lines) + "\n"
