"""Dependency order between plugins: :class:`graphlib.TopologicalSorter`, ties broken by name,
cycles reported as the full path (``a -> b -> a``)."""

from __future__ import annotations

import contextlib
import heapq
from collections.abc import Mapping, Sequence
from graphlib import CycleError, TopologicalSorter


def _sorter(requires: Mapping[str, Sequence[str]]) -> TopologicalSorter[str]:
    """Each plugin after the plugins it requires; requirements on unknown names are ignored."""
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for name in sorted(requires):
        sorter.add(name, *sorted(dep for dep in set(requires[name]) if dep in requires))
    return sorter


def find_cycle(requires: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A dependency cycle as a path in requirement direction (``a -> b -> a``: a requires b),
    starting at its smallest name; None without one. Unknown names are ignored."""
    try:
        _sorter(requires).prepare()
    except CycleError as error:
        # graphlib lists predecessors first (b, a, b); turn it into requirement order
        ring = list(reversed(error.args[1]))[:-1]
        start = ring.index(min(ring))
        ring = ring[start:] + ring[:start]
        return [*ring, ring[0]]
    return None


def topological_order(requires: Mapping[str, Sequence[str]]) -> list[str]:
    """Dependencies first, ties broken by name. Nodes on a cycle (and those that require them)
    are left out (find them with :func:`find_cycle`)."""
    sorter = _sorter(requires)
    # on a cycle graphlib still hands out every node that does not wait on it
    with contextlib.suppress(CycleError):
        sorter.prepare()
    ready = list(sorter.get_ready())
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        sorter.done(name)
        for released in sorter.get_ready():
            heapq.heappush(ready, released)
    return order


def explain_order(requires: Mapping[str, Sequence[str]]) -> list[tuple[str, list[str]]]:
    """The load order with, for each plugin, the plugins that must come before it."""
    return [(name, sorted(requires[name])) for name in topological_order(requires)]
