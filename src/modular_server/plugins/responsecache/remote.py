"""L2: Redis, shared by every process - entries, per-tag version counters, recompute locks.

Redis is an accelerator: every call is guarded. After a failure the cache runs on L1 only for
``redis_retry_seconds`` (no request waits for a dead Redis twice), then tries again; the
redis client reconnects by itself. Invalidations that could not reach Redis are kept (bounded)
and sent first when it answers again.

Correctness rests on tag versions: an entry records the versions of its tags read *before*
its handler ran; an invalidation INCRs them before the write is acknowledged; a reader compares
(one MGET) - so no process serves an entry built before an acknowledged write.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from modular_server.plugins.responsecache.settings import CacheSettings
from modular_server.plugins.responsecache.tags import ALL

log = logging.getLogger("modular_server.cache")
T = TypeVar("T")
Versions = tuple[int, ...]


class RedisUnavailable(Exception):
    """The call did not happen (Redis errored or is in its retry pause)."""


class RemoteCache:
    def __init__(self, client: Any, prefix: str, settings: CacheSettings, on_recovered: Callable[[], None]) -> None:
        from redis.exceptions import RedisError  # the `redis` extra; present whenever app.state.redis is

        self._redis = client
        self._errors: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
        self.prefix = prefix
        self.channel = f"{prefix}invalidate"
        self.origin = uuid.uuid4().hex
        self.settings = settings
        self._version_ttl = int(settings.max_ttl * 2) + 1
        self._on_recovered = on_recovered
        self.up = True
        self.errors = 0
        self.last_error = ""
        self._retry_at = 0.0
        self._pending: set[str] = set()

    # --- guard -----------------------------------------------------------------------------

    @property
    def usable(self) -> bool:
        return self.up or time.monotonic() >= self._retry_at

    async def _run(self, call: Callable[[], Awaitable[T]]) -> T:
        if not self.usable:
            raise RedisUnavailable
        try:
            if self._pending:
                await self._send_invalidation(set(self._pending))
                self._pending.clear()
            result = await call()
        except self._errors as exc:
            self._failed(exc)
            raise RedisUnavailable from exc
        if not self.up:
            self.up = True
            log.warning("cache: Redis is back; L1 cleared (invalidations may have been missed)")
            self._on_recovered()
        return result

    def _failed(self, exc: BaseException) -> None:
        self.errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        if self.up:
            pause = self.settings.redis_retry_seconds
            log.warning("cache: Redis failed, L1 only for %.1fs: %s", pause, self.last_error)
        self.up = False
        self._retry_at = time.monotonic() + self.settings.redis_retry_seconds

    # --- keys ------------------------------------------------------------------------------

    def _entry(self, key: str) -> str:
        return f"{self.prefix}e:{key}"

    def _version(self, tag: str) -> str:
        return f"{self.prefix}v:{tag}"

    def _lock(self, key: str) -> str:
        return f"{self.prefix}l:{key}"

    # --- reads -----------------------------------------------------------------------------

    async def lookup(self, key: str, tags: Iterable[str]) -> tuple[bytes | None, Versions]:
        """The stored entry (if any) and the current versions of ``tags``, in one round trip."""

        async def call() -> tuple[bytes | None, Versions]:
            pipe = self._redis.pipeline(transaction=False)
            pipe.get(self._entry(key))
            pipe.mget([self._version(t) for t in tags])
            raw, versions = await pipe.execute()
            return raw, _ints(versions)

        return await self._run(call)

    async def versions(self, tags: Iterable[str]) -> Versions:
        async def call() -> Versions:
            return _ints(await self._redis.mget([self._version(t) for t in tags]))

        return await self._run(call)

    async def get(self, key: str) -> bytes | None:
        return await self._run(lambda: self._redis.get(self._entry(key)))

    # --- writes ----------------------------------------------------------------------------

    async def store(self, key: str, raw: bytes, ttl: float) -> None:
        async def call() -> None:
            pipe = self._redis.pipeline(transaction=False)
            pipe.set(self._entry(key), raw, px=max(1, int(ttl * 1000)))
            pipe.delete(self._lock(key))
            await pipe.execute()

        await self._run(call)

    async def lock(self, key: str) -> bool:
        """A short lock so that one process recomputes ``key`` while the others poll L2."""
        return bool(
            await self._run(lambda: self._redis.set(self._lock(key), self.origin, nx=True, px=self.settings.lock_ms))
        )

    async def unlock(self, key: str) -> None:
        await self._run(lambda: self._redis.delete(self._lock(key)))

    async def invalidate(self, tags: set[str]) -> bool:
        """INCR the tags' versions and tell the other processes; keep them for later if Redis is away."""
        try:
            await self._run(lambda: self._send_invalidation(tags))
        except RedisUnavailable:
            self._pending |= tags
            if len(self._pending) > self.settings.max_pending_tags:
                self._pending = {ALL}  # too much to remember: invalidate everything once Redis is back
            return False
        return True

    async def _send_invalidation(self, tags: set[str]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for tag in tags:
            pipe.incr(self._version(tag))
            # versions outlive every entry that recorded them (entries live at most max_ttl)
            pipe.expire(self._version(tag), self._version_ttl)
        pipe.publish(self.channel, json.dumps({"o": self.origin, "t": sorted(tags)}))
        await pipe.execute()

    async def ping(self) -> bool:
        try:
            await self._run(self._redis.ping)
        except RedisUnavailable:
            return False
        return True

    # --- figures ---------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._pending)

    def status(self) -> dict[str, Any]:
        return {
            "configured": True,
            "state": "up" if self.up else "down",
            "errors": self.errors,
            "last_error": self.last_error,
            "pending_invalidations": len(self._pending),
        }


def _ints(values: Iterable[bytes | None]) -> Versions:
    return tuple(int(v) if v is not None else 0 for v in values)
