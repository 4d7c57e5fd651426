"""The per-route counters, defined once, each with the rule that merges two of its values.

The recorder's :class:`~.recorder.RouteFigures`, the API's :class:`~.summary.Aggregate` and the
persisted window rows (:class:`~.models.RouteWindow`, one column per counter) carry these
fields; merging, persisting and the shared /metrics totals loop over :data:`MERGES` instead
of naming each counter. A new counter is one field here (plus its column, by migration).
Requests by status class and the latency histogram are not plain counters and are merged by
their owners.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

#: merge rules: counts add up; a per-request maximum keeps the larger one
_ADD = {"merge": operator.add}
_MAX = {"merge": max}


@dataclass(slots=True)
class Counters:
    """The plain counters of one route over some span (a flush, a window, a query's rows)."""

    #: SQL statements run by the requests (and their largest number in one request)
    statements: int = field(default=0, metadata=_ADD)
    max_statements: int = field(default=0, metadata=_MAX)
    #: time spent in SQL, in microseconds
    db_time_us: int = field(default=0, metadata=_ADD)
    #: response cache results seen by monitoring
    cache_hits: int = field(default=0, metadata=_ADD)
    cache_misses: int = field(default=0, metadata=_ADD)
    #: requests flagged with an N+1 pattern, statements slower than slow_query_ms
    n_plus_one: int = field(default=0, metadata=_ADD)
    slow_queries: int = field(default=0, metadata=_ADD)

    def merge_counters(self, other: Any) -> None:
        """Merge ``other``'s counters (anything with these attributes, e.g. a window row)."""
        merge_counters(self, other)


#: (name, merge rule) of every counter, in declaration order
MERGES: tuple[tuple[str, Callable[[int, int], int]], ...] = tuple(
    (counter.name, counter.metadata["merge"]) for counter in fields(Counters)
)
#: the counters that merge by addition: those a shared store can add up (Redis HINCRBY)
ADDITIVE: tuple[str, ...] = tuple(name for name, merge in MERGES if merge is operator.add)


def merge_counters(target: Any, other: Any) -> None:
    """Merge ``other``'s counters into ``target`` by each counter's rule."""
    for name, merge in MERGES:
        setattr(target, name, merge(getattr(target, name), getattr(other, name)))


def zero_counters() -> dict[str, int]:
    """Every counter at zero (the column values of a new window row)."""
    return dict.fromkeys((name for name, _ in MERGES), 0)
