"""The command-line timings as ``benchmarks/results/cli-latest.{md,json}``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.report import RESULTS_DIR, write_result_files


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Command-line start-up",
        "",
        f"Measured {result['date']} with Python {result['python']}: each command in a fresh process, "
        f"{result['rounds']} interleaved rounds, median decides; `python -c pass` is the interpreter's own "
        "start-up in the same run. Reproduce: `python -m benchmarks.startup` (part of `make bench`).",
        "",
        "| command | median s | min s | max s | x interpreter | target s | met |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    lines.extend(_row(row) for row in result["commands"])
    if "baseline" in result:
        lines += [
            "",
            f"The same commands from the baseline `{result['baseline']['source']}`, in the same rounds "
            "(x interpreter against the floor above):",
            "",
            "| command (baseline) | median s | min s | max s | x interpreter | target s | met |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        lines.extend(_row(row) for row in result["baseline"]["commands"])
    return "\n".join(lines) + "\n"


def _row(row: dict[str, Any]) -> str:
    met = {None: "-", True: "yes", False: "**no**"}[row["met"]]
    target = "-" if row["target_s"] is None else f"< {row['target_s']}"
    return (
        f"| `{row['command']}` | {row['median_s']:.3f} | {row['min_s']:.3f} | {row['max_s']:.3f} "
        f"| {row['over_interpreter']} | {target} | {met} |"
    )


def write(result: dict[str, Any], directory: Path = RESULTS_DIR) -> list[Path]:
    return write_result_files(directory, "cli-latest", result, markdown(result))
