"""The "before" app: the same endpoints served the way the seed's origin did.

Lazy relationships walked in loops (N+1), stock as a SUM over the movement ledger per row,
OFFSET pagination, no cache, and a database copy without the product's secondary indexes
(:mod:`benchmarks.dataset`). It exists only to be measured against; it is never shipped.
"""
