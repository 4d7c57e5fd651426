"""Request and response bodies of the cache's admin endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class InvalidateIn(BaseModel):
    tags: list[str] = Field(min_length=1, max_length=1000, description='e.g. ["charge:7", "table:artikel"]')


class InvalidateOut(BaseModel):
    tags: list[str]
    shared: bool = Field(description="it reached Redis (every process); false: this process only, for now")


class StatsOut(BaseModel):
    enabled: bool
    hits: int
    misses: int
    ratio: float
    stores: int
    invalidations: int
    evictions: int
    entries: int
    bytes: int
    max_entries: int
    max_bytes: int
    in_flight: int
    routes: dict[str, dict[str, float]]
    redis: dict[str, Any]
