"""``python -m benchmarks.loadtest`` (``make loadtest``): mixed traffic from many clients
against two workers on PostgreSQL and Redis, then the ledger is checked.

Pass criteria: zero 5xx, every acknowledged booking in the ledger exactly once (and no
unacknowledged one twice), ``modular-server lager verify`` clean, p99 per window without
upward drift (first vs last full window), RSS growth under 10 % after the warm-up window.
"""
