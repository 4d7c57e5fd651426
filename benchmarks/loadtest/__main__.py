"""``python -m benchmarks.loadtest`` (``make loadtest``)."""

from __future__ import annotations

import argparse
import logging

from benchmarks.loadtest import report
from benchmarks.loadtest.run import LoadtestConfig, run_loadtest


def main() -> int:
    defaults = LoadtestConfig()
    parser = argparse.ArgumentParser(prog="python -m benchmarks.loadtest", description=__doc__)
    parser.add_argument("--duration", type=float, default=defaults.duration, help="seconds (%(default)s)")
    parser.add_argument("--window", type=float, default=defaults.window, help="seconds per window (%(default)s)")
    parser.add_argument("--clients", type=int, default=defaults.clients, help="concurrent clients (%(default)s)")
    parser.add_argument("--workers", type=int, default=defaults.workers, help="server workers (%(default)s)")
    parser.add_argument("--scale", type=int, default=defaults.scale, help="demo-data scale (%(default)s)")
    parser.add_argument(
        "--database-url", default=defaults.database_url, help="a dedicated database: DROPPED and created afresh"
    )
    parser.add_argument("--redis-url", default=defaults.redis_url)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    config = LoadtestConfig(
        duration=args.duration,
        window=min(args.window, args.duration),
        clients=args.clients,
        workers=args.workers,
        scale=args.scale,
        database_url=args.database_url,
        redis_url=args.redis_url,
    )
    result = run_loadtest(config)
    for path in report.write(result):
        print(f"wrote {path}")
    print("PASS" if result.passed else "FAIL")
    return 0 if result.passed else 1


raise SystemExit(main())
