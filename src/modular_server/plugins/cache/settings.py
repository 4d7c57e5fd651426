"""Settings of the cache plugin (``[cache]`` / ``MODULAR_SERVER_CACHE__*``)."""

from pydantic import BaseModel, Field


class CacheSettings(BaseModel):
    enabled: bool = Field(default=True, description="answer cacheable GET routes from the cache")
    routes: list[str] = Field(
        default_factory=list, description="route templates to cache; empty = every route with a @cached policy"
    )
    default_ttl_seconds: float | None = Field(
        default=None, ge=0, description="replaces the TTL of every policy (unless route_ttl_seconds names the route)"
    )
    route_ttl_seconds: dict[str, float] = Field(
        default_factory=dict, description="TTL per route template; 0 switches caching off for that route"
    )
    max_ttl_seconds: float = Field(
        default=3600, gt=0, description="cap on every TTL; also the lifetime of the tag generations in Redis"
    )
    l1_max_entries: int = Field(
        default=10_000,
        ge=1,
        description="responses each process keeps in memory (L1); the least recently used go first when full",
    )
    l1_max_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description="bytes of response bodies the L1 of each process may hold (64 MiB); raise it with large answers",
    )
    max_entry_bytes: int = Field(default=1024 * 1024, ge=1, description="larger responses are not cached")
    use_redis: bool = Field(default=True, description="use the core's redis_url as the shared second level")
    key_prefix: str | None = Field(
        default=None, description="Redis key prefix; default: the core's redis_prefix + 'cache:'"
    )
    # 100 ms, not less: the time is taken by the event loop, so a busy server counts its own lag.
    # Under the load test (64 clients, 2 workers, 2 cores) 20 ms tripped the breaker 9 times in
    # 5 minutes with Redis idle - and a tripped breaker owes its invalidations for
    # redis_retry_seconds, so other processes served the old answers meanwhile; 100 ms: once.
    redis_timeout_ms: float = Field(
        default=100, gt=0, description="per Redis call; a slower answer counts as a failure"
    )
    redis_connect_timeout_ms: float = Field(
        default=250,
        gt=0,
        description="milliseconds to open a connection to Redis; slower is a Redis failure (see redis_retry_seconds)",
    )
    redis_retry_seconds: float = Field(default=1.0, gt=0, description="after a Redis failure, L1 only for this long")
    # what a process needs to confirm is one turn of its event loop, which under load takes tens
    # of ms: 50 ms let 1.6 % of the load test's writes go unconfirmed, 100 ms 0.5 %
    ack_timeout_ms: float = Field(
        default=100, ge=0, description="how long a write waits for every process to confirm its L1 eviction"
    )
    lock_ms: int = Field(default=2000, ge=10, description="stampede lock: how long one computation may hold a key")
    lock_poll_ms: int = Field(default=5, ge=1, description="how often a waiting process looks for the shared result")
    fk_tags: dict[str, str] = Field(
        default_factory=dict,
        description="FK column name -> tag prefix, over the prefix derived from the referenced table ('' = no tag)",
    )
    table_tags: dict[str, str] = Field(
        default_factory=lambda: {"lagerbewegung": "bewegung", "lager_chargen_reservierung": "reservierung"},
        description="table -> prefix of its row tags (default: the table name)",
    )
