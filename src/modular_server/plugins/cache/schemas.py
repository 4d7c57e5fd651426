"""Bodies of the cache's admin endpoints."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Tag = Annotated[str, Field(min_length=1, max_length=300)]


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
