"""Per-key rate limiting: a token bucket per API key, in Redis when configured (shared by
every worker and machine), in process otherwise. Over the limit: 429 with Retry-After.

While Redis is unreachable each process limits with its own buckets (a client spread over N
instances may then get up to N times its rate); the app's :class:`RedisBreaker` keeps
requests from paying a Redis timeout each until it answers again.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from cachetools import LRUCache

from modular_server.core.redis_breaker import RedisBreaker

log = logging.getLogger("modular_server.ratelimit")

# Atomic bucket update in Redis: refill by elapsed time, take one token if there is one.
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return {allowed, tostring(tokens)}
"""


class RateLimiter:
    """``per_minute`` sustained requests with bursts up to ``burst`` per principal."""

    def __init__(
        self,
        per_minute: int,
        burst: int,
        redis_client: Any = None,
        prefix: str = "ms:rl:",
        breaker: RedisBreaker | None = None,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(burst, 1))
        self.redis = redis_client
        self.prefix = prefix
        self.breaker = breaker or RedisBreaker("rate limiter", 1.0, log, "limiting with in-process buckets")
        self._local: LRUCache[str, tuple[float, float]] = LRUCache(maxsize=65536)
        self._script: Any = redis_client.register_script(_BUCKET_SCRIPT) if redis_client is not None else None

    async def acquire(self, principal: str) -> float:
        """0 when the request may pass, else the seconds to wait before the next one."""
        if self._script is not None and self.breaker.reachable():
            try:
                allowed, tokens = await self._script(
                    keys=[self.prefix + principal], args=[self.rate, self.burst, time.time()]
                )
            except Exception as exc:  # Redis down: fall back to the in-process bucket, never fail the request
                self.breaker.failed("rate limit", exc)
            else:
                self.breaker.succeeded()
                return 0.0 if int(allowed) else self._wait(float(tokens))
        return self._acquire_local(principal)

    def _acquire_local(self, principal: str) -> float:
        now = time.monotonic()
        tokens, at = self._local.get(principal, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1:
            self._local[principal] = (tokens - 1, now)
            return 0.0
        self._local[principal] = (tokens, now)
        return self._wait(tokens)

    def _wait(self, tokens: float) -> float:
        return max(0.001, (1 - tokens) / self.rate)


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
