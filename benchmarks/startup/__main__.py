"""``python -m benchmarks.startup``: the command line's start-up times (part of ``make bench``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.report import RESULTS_DIR
from benchmarks.startup import report
from benchmarks.startup.run import ROUNDS, measure


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="interleaved rounds (%(default)s)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="directory for cli-latest.{md,json}")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="the src folder of another checkout: each command also runs from it, in the same rounds",
    )
    args = parser.parse_args()
    result = measure(args.rounds, args.baseline)
    for path in report.write(result, args.out):
        print(f"wrote {path}")
    print(report.markdown(result))
    return 0


raise SystemExit(main())
