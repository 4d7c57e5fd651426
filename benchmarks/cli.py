"""Command line of ``python -m benchmarks``."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from benchmarks import report, runner
from benchmarks.variants import REFERENCE, REFERENCE_SOURCE_ENV, VARIANTS


def argument_parser() -> argparse.ArgumentParser:
    defaults = runner.RunConfig()
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Before/after benchmark: baseline app vs the product (uncached, cached, monitoring off) "
        "vs two floors; writes benchmarks/results/latest.{md,json,png}.",
    )
    parser.add_argument("--scale", type=int, default=defaults.scale, help="demo-data scale (default %(default)s)")
    parser.add_argument(
        "--duration", type=float, default=defaults.duration, help="seconds per endpoint and variant (%(default)s)"
    )
    parser.add_argument("--rounds", type=int, default=defaults.rounds, help="interleaved rounds (%(default)s)")
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency, help="connections (%(default)s)")
    parser.add_argument("--warmup", type=float, default=defaults.warmup, help="warm-up seconds (%(default)s)")
    parser.add_argument("--variants", nargs="+", choices=[v.name for v in VARIANTS], default=list(defaults.variants))
    parser.add_argument("--endpoints", nargs="+", default=[], help="only these endpoints (default: all)")
    parser.add_argument(
        "--out",
        type=Path,
        default=report.RESULTS_DIR,
        help="directory for latest.{md,json,png} (default: benchmarks/results; give another for partial runs)",
    )
    return parser


def parse(argv: Sequence[str] | None = None) -> tuple[runner.RunConfig, Path]:
    parser = argument_parser()
    args = parser.parse_args(argv)
    if args.scale < 1 or args.duration <= 0 or args.rounds < 1 or args.concurrency < 1:
        parser.error("--scale, --duration, --rounds and --concurrency must be positive")
    if not {"uncached", "cached", "uncached_nomon"} & set(args.variants):
        parser.error("--variants needs at least one product variant (uncached, cached, uncached_nomon)")
    if REFERENCE.name in args.variants and not os.environ.get(REFERENCE_SOURCE_ENV):
        parser.error(
            f"--variants {REFERENCE.name} needs ${REFERENCE_SOURCE_ENV}: the src directory of the other version"
        )
    config = runner.RunConfig(
        scale=args.scale,
        duration=args.duration,
        rounds=args.rounds,
        concurrency=args.concurrency,
        warmup=args.warmup,
        variants=tuple(args.variants),
        endpoints=tuple(args.endpoints),
    )
    return config, args.out


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    config, out = parse(argv)
    results = runner.run(config)
    for path in report.write(results, out):
        print(f"wrote {path}")
    return 0
