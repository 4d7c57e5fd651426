"""Dependency order between plugins: deterministic topological sort with cycle paths."""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence


def find_cycle(requires: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A dependency cycle as a path (``a -> b -> a``), or None. Unknown names are ignored."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(requires, WHITE)
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        color[node] = GREY
        stack.append(node)
        for dep in sorted(requires[node]):
            if dep not in color:
                continue
            if color[dep] == GREY:
                return [*stack[stack.index(dep) :], dep]
            if color[dep] == WHITE and (cycle := visit(dep)):
                return cycle
        stack.pop()
        color[node] = BLACK
        return None

    for name in sorted(requires):
        if color[name] == WHITE and (cycle := visit(name)):
            return cycle
    return None


def topological_order(requires: Mapping[str, Sequence[str]]) -> list[str]:
    """Dependencies first, ties broken by name. Nodes on a cycle are left out (find them with
    :func:`find_cycle`); requirements on unknown names are ignored here."""
    indegree = {name: 0 for name in requires}
    dependents: dict[str, list[str]] = {name: [] for name in requires}
    for name, deps in requires.items():
        for dep in set(deps):
            if dep in requires:
                indegree[name] += 1
                dependents[dep].append(name)
    ready = [name for name, degree in indegree.items() if degree == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for child in dependents[name]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, child)
    return order


def explain_order(requires: Mapping[str, Sequence[str]]) -> list[tuple[str, list[str]]]:
    """The load order with, for each plugin, the plugins that must come before it."""
    return [(name, sorted(requires[name])) for name in topological_order(requires)]
