"""L2: Redis, shared by every process - entries, tag generations, stampede locks.

Invalidation without tag indexes: each tag has a *generation* key set to a fresh value of one
global counter whenever the tag is invalidated (a Lua script, which also publishes the tags to
the other processes; the writer then waits until each subscribed process confirms it applied
them to its L1). An entry records the generations of its tags read at lookup time; it is
stored only if they are still current (checked atomically in Lua, so a response computed from
data that a concurrent write has since changed is never stored) and served only while they
are. Generation keys expire after ``max_ttl_seconds`` (+ a margin), i.e. after every entry that
could refer to them - nothing in Redis grows without bound. Because values come from one
counter that never repeats, an expired generation can never look current again.

Redis is an accelerator: every call is bounded by ``redis_timeout_ms``; a failure switches
this process to L1 only for ``redis_retry_seconds`` and is counted, never an error for the
client. Invalidations that could not reach Redis are owed: until they are delivered, this
process does not read L2 (it could hold entries those writes made stale).
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from collections.abc import Iterable
from typing import Any

import orjson

from modular_server.plugin import RedisBreaker
from modular_server.plugins.cache.settings import CacheSettings
from modular_server.plugins.cache.tags import ALL

log = logging.getLogger("modular_server.cache")

_INVALIDATE = """
local v = redis.call('INCR', KEYS[1])
for i = 2, #KEYS do redis.call('SET', KEYS[i], v, 'EX', ARGV[1]) end
return redis.call('PUBLISH', ARGV[2], ARGV[3])
"""
# KEYS: entry, lock, generation keys...; ARGV: value, ttl ms, lock token, expected generations...
_STORE = """
local stored = 1
for i = 3, #KEYS do
  if (redis.call('GET', KEYS[i]) or '0') ~= ARGV[i + 1] then stored = 0 break end
end
if stored == 1 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return stored
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
MAX_OWED_TAGS = 10_000
ACK_POLL_SECONDS = 0.0005
ACK_KEY_MS = 10_000
GENERATION_MARGIN_SECONDS = 60
#: a process announced as starting longer ago than this has died while starting (or hangs)
STARTING_SECONDS = 300


class Fetched:
    """One round trip's view of a key: the stored bytes, whether someone computes it, generations."""

    __slots__ = ("generations", "locked", "raw")

    def __init__(self, raw: bytes | None, locked: bool, generations: list[str]) -> None:
        self.raw = raw
        self.locked = locked
        self.generations = generations


class RemoteCache:
    def __init__(self, url: str, settings: CacheSettings, prefix: str) -> None:
        import redis.asyncio as redis  # the `redis` extra; only needed with redis_url
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import RedisError

        self._errors: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=settings.redis_timeout_ms / 1000,
            socket_connect_timeout=settings.redis_connect_timeout_ms / 1000,
            retry=Retry(NoBackoff(), 0),  # a retry would multiply the few ms we allow
        )
        self._invalidate = self.client.register_script(_INVALIDATE)
        self._store = self.client.register_script(_STORE)
        self._release = self.client.register_script(_RELEASE)
        self.prefix = prefix
        self.channel = f"{prefix}invalidate"
        self.origin = secrets.token_hex(8)  # this process, so it skips its own broadcasts
        self._generation_seconds = math.ceil(settings.max_ttl_seconds) + GENERATION_MARGIN_SECONDS
        self._lock_ms = settings.lock_ms
        self._ack_timeout = settings.ack_timeout_ms / 1000
        self._sequence = 0
        self.ack_timeouts = 0
        self.breaker = RedisBreaker("cache", settings.redis_retry_seconds, log, "serving from L1 only")
        #: tags whose invalidation has not reached Redis yet
        self.owed: set[str] = set()
        #: origin -> when it subscribed, for processes that have not looked up any response yet:
        #: their L1 is empty, so their late acknowledgement cannot leave a stale entry anywhere
        self._starting = f"{prefix}starting"

    # --- state -----------------------------------------------------------------------------

    @property
    def readable(self) -> bool:
        """L2 may be read: Redis answers (or may again) and owes no invalidation."""
        return not self.owed and self.breaker.reachable()

    def _owe(self, tags: Iterable[str]) -> None:
        self.owed.update(tags)
        if len(self.owed) > MAX_OWED_TAGS:
            self.owed = {ALL}

    # --- keys ------------------------------------------------------------------------------

    def _entry(self, key: str) -> str:
        return f"{self.prefix}e:{key}"

    def _lock(self, key: str) -> str:
        return f"{self.prefix}l:{key}"

    def _generation(self, tag: str) -> str:
        return f"{self.prefix}g:{tag}"

    # --- operations ------------------------------------------------------------------------

    async def fetch(self, key: str, tags: tuple[str, ...]) -> Fetched | None:
        """Entry, lock and tag generations in one MGET; None when Redis failed."""
        try:
            values = await self.client.mget([self._entry(key), self._lock(key), *[self._generation(t) for t in tags]])
        except self._errors as exc:
            self.breaker.failed("read", exc)
            return None
        self.breaker.succeeded()
        generations = [v.decode() if v is not None else "0" for v in values[2:]]
        return Fetched(values[0], values[1] is not None, generations)

    async def acquire(self, key: str) -> str | None:
        """The stampede lock of ``key``: a token when this process computes it, else None."""
        token = secrets.token_hex(8)
        try:
            acquired = await self.client.set(self._lock(key), token, nx=True, px=self._lock_ms)
        except self._errors as exc:
            self.breaker.failed("lock", exc)
            return None
        self.breaker.succeeded()
        return token if acquired else None

    async def store(
        self, key: str, raw: bytes, ttl: float, tags: tuple[str, ...], generations: list[str], token: str | None
    ) -> bool:
        """Store if no tag was invalidated since ``generations`` were read; release the lock."""
        try:
            stored = await self._store(
                keys=[self._entry(key), self._lock(key), *[self._generation(t) for t in tags]],
                args=[raw, max(1, int(ttl * 1000)), token or "", *generations],
            )
        except self._errors as exc:
            self.breaker.failed("store", exc)
            return False
        self.breaker.succeeded()
        return bool(stored)

    async def release(self, key: str, token: str) -> None:
        try:
            await self._release(keys=[self._lock(key)], args=[token])
        except self._errors as exc:
            self.breaker.failed("release", exc)

    async def invalidate(self, tags: Iterable[str]) -> bool:
        """New generations for ``tags`` (and any owed) and a broadcast; owed on failure."""
        wanted = set(tags) | self.owed
        if not self.breaker.reachable():
            self._owe(wanted)
            return False
        ordered = sorted(wanted)
        self._sequence += 1
        acks = f"{self.prefix}ack:{self.origin}:{self._sequence}"
        message = orjson.dumps({"o": self.origin, "t": ordered, "a": acks})
        try:
            receivers = await self._invalidate(
                keys=[f"{self.prefix}clock", *[self._generation(t) for t in ordered]],
                args=[self._generation_seconds, self.channel, message],
            )
        except self._errors as exc:
            self.breaker.failed("invalidate", exc)
            self._owe(wanted)
            return False
        self.owed.difference_update(wanted)
        self.breaker.succeeded()
        await self._await_acks(acks, int(receivers))
        return True

    async def _await_acks(self, acks: str, receivers: int) -> None:
        """Wait until every subscribed process (this one included) has applied the message,
        so that no process serves an old entry from its L1 once the write is acknowledged."""
        deadline = time.monotonic() + self._ack_timeout
        while receivers:
            try:
                if await self.client.llen(acks) >= receivers:
                    return
            except self._errors as exc:
                self.breaker.failed("acknowledgements", exc)
                return
            if time.monotonic() >= deadline:
                await self._report_missing_acks(acks, receivers)
                return
            await asyncio.sleep(ACK_POLL_SECONDS)

    async def _report_missing_acks(self, acks: str, receivers: int) -> None:
        """Warn about a process that is late to apply an invalidation - unless every late one
        is still starting: a process has an empty L1 until it looks up its first response, and
        while its start-up keeps its event loop busy it cannot acknowledge in time."""
        try:
            acknowledged = await self.client.llen(acks)
            starting = await self.client.hgetall(self._starting)
        except self._errors as exc:
            self.breaker.failed("acknowledgements", exc)
            return
        now = time.time()
        still_starting = sum(1 for stamp in starting.values() if now - float(stamp) < STARTING_SECONDS)
        if acknowledged + still_starting >= receivers:
            log.debug("cache: %d starting process(es) acknowledge late; their L1 is empty", still_starting)
            return
        self.ack_timeouts += 1
        log.warning("cache: not every process confirmed an invalidation within %.0f ms", self._ack_timeout * 1000)

    async def announce(self, *, starting: bool) -> None:
        """Record this process as starting (subscribed, L1 empty) or no longer starting."""
        try:
            if starting:
                async with self.client.pipeline(transaction=False) as pipe:
                    pipe.hset(self._starting, self.origin, str(time.time()))
                    pipe.expire(self._starting, STARTING_SECONDS)
                    await pipe.execute()
            else:
                await self.client.hdel(self._starting, self.origin)
        except self._errors as exc:
            self.breaker.failed("announce", exc)

    async def acknowledge(self, keys: list[str]) -> None:
        """Tell the writers that this process has applied their invalidations (one round trip)."""
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for acks in keys:
                    pipe.rpush(acks, 1)
                    pipe.pexpire(acks, ACK_KEY_MS)
                await pipe.execute()
        except self._errors as exc:
            self.breaker.failed("acknowledge", exc)

    async def probe(self) -> None:
        """Deliver owed invalidations, or just ping: how a degraded process finds Redis again."""
        if self.owed:
            await self.invalidate(())
            return
        try:
            await self.client.ping()
        except self._errors as exc:
            self.breaker.failed("ping", exc)
            return
        self.breaker.succeeded()

    def figures(self) -> dict[str, Any]:
        return {
            "configured": True,
            **self.breaker.as_dict(),
            "owed_invalidations": len(self.owed),
            "acknowledgement_timeouts": self.ack_timeouts,
        }

    async def aclose(self) -> None:
        await self.client.aclose()
