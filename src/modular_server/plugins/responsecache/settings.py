"""Settings of the response cache (``[cache]`` table, ``MODULAR_SERVER_CACHE__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CacheSettings(BaseModel):
    enabled: bool = Field(default=True, description="off: routes run as if no cache plugin were installed")
    default_ttl: float = Field(default=60.0, gt=0, description="seconds, for a policy declaring ttl <= 0")
    max_ttl: float = Field(
        default=3600.0, gt=0, description="upper bound of any entry's life; tag versions in Redis live twice as long"
    )
    l1_max_entries: int = Field(default=10_000, ge=1, description="in-process entries")
    l1_max_bytes: int = Field(default=64 * 1024 * 1024, ge=1024, description="in-process bytes of bodies and headers")
    key_prefix: str = Field(default="cache:", description="appended to the core redis_prefix for every key and channel")
    lock_ms: int = Field(default=2000, ge=10, description="cross-process recompute lock; waiters poll L2 this long")
    poll_ms: int = Field(default=10, ge=1, description="interval at which a waiter polls L2")
    redis_retry_seconds: float = Field(
        default=1.0, gt=0, description="after a Redis error, L1 only for this long, then Redis is tried again"
    )
    max_pending_tags: int = Field(
        default=10_000, ge=1, description="invalidations kept while Redis is away; beyond, everything is invalidated"
    )
