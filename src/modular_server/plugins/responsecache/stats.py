"""Counters of the response cache (per process)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class RouteFigures:
    hits: int = 0
    misses: int = 0

    def as_dict(self) -> dict[str, float]:
        return {"hits": self.hits, "misses": self.misses, "ratio": _ratio(self.hits, self.misses)}


@dataclass(slots=True)
class Counters:
    hits: int = 0
    misses: int = 0
    stores: int = 0
    invalidations: int = 0
    routes: dict[str, RouteFigures] = field(default_factory=dict)

    def hit(self, route: str) -> None:
        self.hits += 1
        self._route(route).hits += 1

    def miss(self, route: str) -> None:
        self.misses += 1
        self._route(route).misses += 1

    def _route(self, route: str) -> RouteFigures:
        figures = self.routes.get(route)
        if figures is None:
            figures = self.routes[route] = RouteFigures()
        return figures

    @property
    def ratio(self) -> float:
        return _ratio(self.hits, self.misses)


def _ratio(hits: int, misses: int) -> float:
    total = hits + misses
    return round(hits / total, 4) if total else 0.0
