"""loadtest-latest.md / .json in benchmarks/results/."""

from __future__ import annotations

from pathlib import Path

from benchmarks.loadtest.run import LoadtestResult
from benchmarks.loadtest.windows import DRIFT_LIMIT, RSS_GROWTH_LIMIT, SPREAD_LIMIT
from benchmarks.report import RESULTS_DIR, number, write_result_files


def write(result: LoadtestResult, directory: Path = RESULTS_DIR) -> list[Path]:
    return write_result_files(directory, "loadtest-latest", result.to_dict(), markdown(result))


def _verdict(ok: bool | None) -> str:
    return {True: "pass", False: "**FAIL**", None: "n/a"}[ok]


def markdown(result: LoadtestResult) -> str:
    config, ledger = result.config, result.ledger
    drift, growth, spread = result.p99_drift, result.rss_growth, result.p99_spread
    lines = [
        "# Load test",
        "",
        f"Started {result.started}: {config['clients']} clients, {number(config['duration'])} s in windows of "
        f"{number(config['window'])} s, `modular-server serve --workers {config['workers']}` on PostgreSQL with Redis, "
        f"`demo-data --scale {config['scale']}` ({', '.join(f'{t} {n:,}' for t, n in result.rows.items())}). "
        "Mix: 80 % reads, 15 % bookings (2/3 eingang, 1/3 ausgang), 5 % FEFO reservations "
        "(one in five asks for more than exists: 409).",
        "",
        f"**Overall: {'PASS' if result.passed else 'FAIL'}**",
        "",
        "| check | result | verdict |",
        "|---|---|---|",
        f"| 5xx answers | {result.server_errors} | {_verdict(result.server_errors == 0)} |",
        f"| requests without an answer | {result.failures} | {_verdict(result.failures == 0)} |",
        f"| acknowledged bookings in the ledger exactly once | {ledger.acknowledged} acknowledged, "
        f"{len(ledger.lost)} lost, {len(ledger.duplicated)} duplicated, {len(ledger.wrong_id)} with another id "
        f"| {_verdict(not ledger.lost and not ledger.duplicated and not ledger.wrong_id)} |",
        f"| bookings without a 2xx that were booked anyway | {ledger.unacknowledged_booked} | reported |",
        f"| balances = ledger (recomputed per artikel, charge, lagerort) | {ledger.balance_mismatches} mismatches "
        f"| {_verdict(ledger.balance_mismatches == 0)} |",
        f"| reserviert = open reservations | {ledger.reservation_mismatches} mismatches | reported |",
        f"| `modular-server lager verify` | exit {ledger.verify_exit_code} "
        f"| {_verdict(ledger.verify_exit_code == 0)} |",
        f"| p99 drift (last / first full window) | {'-' if drift is None else f'{drift:.2f}x'} "
        f"| {_verdict(None if drift is None else drift <= DRIFT_LIMIT)} (limit {DRIFT_LIMIT}x) |",
        f"| RSS growth after the warm-up window | {'-' if growth is None else f'{100 * growth:+.1f} %'} "
        f"| {_verdict(None if growth is None else growth < RSS_GROWTH_LIMIT)} (limit {RSS_GROWTH_LIMIT:.0%}) |",
        f"| p99 / p50, widest window | {'-' if spread is None else f'{spread:.2f}x'} "
        f"| {_verdict(None if spread is None else spread <= SPREAD_LIMIT)} (limit {SPREAD_LIMIT}x in every window) |",
        f"| achieved throughput, all windows | {number(result.requests_per_second)} req/s | reported |",
        "",
        "| window | seconds | requests | req/s | reads | bookings | reservations | status | p50 ms | p99 ms "
        "| p99/p50 | RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for w in result.windows:
        status = ", ".join(f"{code}: {n}" for code, n in w.status.items())
        lines.append(
            f"| {w.index} | {number(w.seconds)} | {w.requests:,} | {number(w.requests / w.seconds)} "
            f"| {w.by_tag.get('read', 0):,} | {w.by_tag.get('booking', 0):,} | {w.by_tag.get('reservation', 0):,} "
            f"| {status} | {number(w.p50_ms, 2)} | {number(w.p99_ms, 2)} "
            f"| {'-' if w.spread is None else f'{w.spread:.2f}x'} | {number(w.rss_bytes / 2**20)} |"
        )
    lines += _latency_by_kind(result)
    lines += _log_warnings(result)
    examples = {code: bodies for w in result.windows for code, bodies in w.error_bodies.items()}
    if examples:
        lines += ["", "First answers per error status (4xx are expected: conflicts, stock running out):", ""]
        lines += [f"* {code}: `{body}`" for code, bodies in sorted(examples.items()) for body in bodies[:2]]
    if ledger.verify_output.strip():
        lines += ["", "`lager verify` said:", "", "```", ledger.verify_output.strip()[-2000:], "```"]
    return "\n".join(lines) + "\n"


def _latency_by_kind(result: LoadtestResult) -> list[str]:
    """p50/p99 per kind of request and window, and which kinds the slowest 1 % are."""
    tags = sorted({tag for w in result.windows for tag in w.by_tag_latency})
    if not tags:
        return []
    lines = [
        "",
        "Latency per kind of request (ms; share of the window's slowest 1 % in brackets):",
        "",
        "| window | " + " | ".join(f"{tag} p50 | {tag} p99" for tag in tags) + " |",
        "|---:|" + "---:|---:|" * len(tags),
    ]
    for w in result.windows:
        cells = []
        for tag in tags:
            kind = w.by_tag_latency.get(tag)
            if kind is None:
                cells += ["-", "-"]
            else:
                cells += [number(kind["p50_ms"], 2), f"{number(kind['p99_ms'], 2)} ({kind['tail_share']:.0%})"]
        lines.append(f"| {w.index} | " + " | ".join(cells) + " |")
    return lines


def _log_warnings(result: LoadtestResult) -> list[str]:
    """The server's complaints during the run (reported: a warning is not a failed answer)."""
    if not result.log_warnings:
        return ["", "The server logged no warning."]
    lines = ["", "The server's warnings by kind (numbers and quoted values as `#`):", ""]
    lines += ["| lines | kind |", "|---:|---|"]
    lines += [f"| {count:,} | `{kind}` |" for kind, count in result.log_warnings.items()]
    return lines
