"""Bodies of the cache's admin endpoints."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Tag = Annotated[str, Field(min_length=1, max_length=300)]


def _example(value: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [value]})


class InvalidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"tags": ["charge:5", "table:bestand"]}]})

    tags: list[Tag] = Field(min_length=1, max_length=1000, examples=[["charge:5", "table:bestand"]])


class InvalidateOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"tags": ["charge:5", "table:bestand"], "evicted_here": 3, "redis": "delivered"}]
        }
    )

    tags: list[str]
    #: entries dropped from this process's L1 (other processes drop theirs when the broadcast arrives)
    evicted_here: int
    redis: Literal["delivered", "owed", "not configured"]


STATS_EXAMPLE: dict[str, Any] = {
    "enabled": True,
    "hits": 412,
    "misses": 57,
    "hit_ratio": 0.878,
    "hits_by_level": {"l1": 380, "l2": 32, "shared": 0},
    "not_modified": 12,
    "evictions": 0,
    "expirations": 41,
    "invalidated_tags": 23,
    "invalidated_entries": 18,
    "stale_discarded": 0,
    "size": {"entries": 96, "bytes": 183204, "max_entries": 10000, "max_bytes": 67108864, "tags_indexed": 140},
    "in_flight": 0,
    "routes": {"/api/v1/artikel/{artikel_id}": {"hits": 120, "misses": 9, "hit_ratio": 0.9302}},
    "redis": {"configured": False},
}
REDIS_ON_EXAMPLE = {
    "configured": True,
    "available": True,
    "failures": 0,
    "last_error": "",
    "owed_invalidations": 0,
    "acknowledgement_timeouts": 0,
    "stores": 57,
    "subscribed": True,
    "messages_received": 23,
    "waited_for_other_process": 2,
    "gave_up_waiting": 0,
}


class LevelHitsOut(BaseModel):
    """Hits by where the answer came from."""

    model_config = _example(STATS_EXAMPLE["hits_by_level"])

    l1: int = Field(description="this process's memory")
    l2: int = Field(description="Redis")
    shared: int = Field(description="another request's computation in flight (single flight)")


class SizeOut(BaseModel):
    """This process's L1 store."""

    model_config = _example(STATS_EXAMPLE["size"])

    entries: int
    bytes: int
    max_entries: int
    max_bytes: int
    tags_indexed: int


class RouteFiguresOut(BaseModel):
    model_config = _example({"hits": 120, "misses": 9, "hit_ratio": 0.9302})

    hits: int
    misses: int
    hit_ratio: float | None = Field(description="null before the first lookup")


class RedisOffOut(BaseModel):
    """No ``redis_url``: L1 only."""

    model_config = _example({"configured": False})

    configured: Literal[False]


class RedisOnOut(BaseModel):
    model_config = _example(REDIS_ON_EXAMPLE)

    configured: Literal[True]
    available: bool = Field(description="false while the breaker keeps Redis out after a failure")
    failures: int
    last_error: str = Field(description="the last failure, empty before the first")
    owed_invalidations: int = Field(description="invalidated tags not yet delivered to Redis")
    acknowledgement_timeouts: int
    stores: int
    subscribed: bool = Field(description="the invalidation channel is subscribed")
    messages_received: int
    waited_for_other_process: int
    gave_up_waiting: int


class StatsOut(BaseModel):
    """This process's cache figures (each worker counts its own)."""

    model_config = _example(STATS_EXAMPLE)

    enabled: bool
    hits: int
    misses: int
    hit_ratio: float | None = Field(description="hits / (hits + misses); null before the first lookup")
    hits_by_level: LevelHitsOut
    not_modified: int = Field(description="answers 304 to If-None-Match")
    evictions: int
    expirations: int
    invalidated_tags: int
    invalidated_entries: int
    stale_discarded: int
    size: SizeOut
    in_flight: int
    routes: dict[str, RouteFiguresOut] = Field(description="per route template")
    redis: RedisOffOut | RedisOnOut
