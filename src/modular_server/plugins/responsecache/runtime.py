"""The response cache of one process: lookup before the handler, store after, invalidate on commit.

Reads go L1 -> L2 -> handler. See :mod:`.remote` for why an entry is fresh exactly when its
recorded tag versions equal the current ones, and :mod:`.tags` for the tag scheme.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modular_server.hooks import CachedResponse, CachePolicy, Change, HealthResult, cache_policy_of
from modular_server.plugins.responsecache import http
from modular_server.plugins.responsecache.entry import Entry, cacheable, replayable_headers, strong_etag
from modular_server.plugins.responsecache.flights import Flight, Flights
from modular_server.plugins.responsecache.keys import cache_key
from modular_server.plugins.responsecache.local import LocalCache
from modular_server.plugins.responsecache.remote import RedisUnavailable, RemoteCache, Versions
from modular_server.plugins.responsecache.stats import Counters
from modular_server.plugins.responsecache.subscriber import Subscriber
from modular_server.plugins.responsecache.tags import ALL, EntityMap, entry_tags

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.datastructures import Headers

    from modular_server.hooks import RequestContext, ResponseInfo
    from modular_server.plugins.responsecache.settings import CacheSettings

log = logging.getLogger("modular_server.cache")
EXTRAS_KEY = "cache"


@dataclass(slots=True)
class Lookup:
    """What one request's lookup learned; kept in ``ctx.extras["cache"]`` for the later hooks."""

    key: str
    policy: CachePolicy
    tags: tuple[str, ...]
    #: local invalidation number when the lookup began (an entry built after a newer one is dropped)
    seq: int
    if_none_match: str | None
    versions: Versions | None = None
    hit: Entry | None = None
    flight: Flight | None = None
    built: Entry | None = None


class ResponseCache:
    def __init__(self, app: FastAPI, settings: CacheSettings, entities: EntityMap | None = None) -> None:
        self.settings = settings
        self.entities = entities or EntityMap()
        self.local = LocalCache(settings.l1_max_entries, settings.l1_max_bytes)
        self.flights = Flights(settings.lock_ms / 1000)
        self.counters = Counters()
        core = app.state.settings
        self.remote: RemoteCache | None = None
        self.subscriber: Subscriber | None = None
        if app.state.redis is not None:
            prefix = core.redis_prefix + settings.key_prefix
            self.remote = RemoteCache(app.state.redis, prefix, settings, on_recovered=self.local.clear)
            self.subscriber = Subscriber(
                core.redis_url,
                self.remote.channel,
                self.remote.origin,
                on_tags=self.local.invalidate,
                on_resubscribed=self.local.clear,
                retry_seconds=settings.redis_retry_seconds,
            )

    async def start(self) -> None:
        if self.subscriber is not None:
            await self.subscriber.start()

    async def stop(self) -> None:
        if self.subscriber is not None:
            await self.subscriber.stop()

    # --- lookup (gate, before the handler) ---------------------------------------------------

    async def lookup(self, ctx: RequestContext, headers: Headers) -> CachedResponse | None:
        if not self.settings.enabled or ctx.method != "GET" or ctx.route is None:
            return None
        policy = cache_policy_of(ctx.endpoint)
        if policy is None:
            return None
        directives = http.request_directives(headers.get("cache-control"))
        if "no-store" in directives:
            return None
        state = Lookup(
            key=cache_key(ctx.method, ctx.route, ctx.path, ctx.query_string, ctx.principal),
            policy=policy,
            tags=entry_tags(policy, ctx.path_params),
            seq=self.local.seq,
            if_none_match=headers.get("if-none-match"),
        )
        ctx.extras[EXTRAS_KEY] = state
        revalidate = http.wants_revalidation(directives)
        if not revalidate and (entry := await self._from_l1(state)) is not None:
            return self._hit(ctx, state, entry)
        if self.remote is not None:
            try:
                if revalidate:
                    state.versions = await self.remote.versions(state.tags)
                else:
                    raw, state.versions = await self.remote.lookup(state.key, state.tags)
                    entry = _decode(raw)
                    if entry is not None and entry.versions == state.versions:
                        self.local.put(state.key, entry)
                        return self._hit(ctx, state, entry)
            except RedisUnavailable:
                state.versions = None
        if not revalidate:
            answer = await self._join_or_lead(ctx, state)
            if answer is not None:
                return answer
        self._miss(ctx, state)
        return None

    async def _from_l1(self, state: Lookup) -> Entry | None:
        entry = self.local.get(state.key)
        if entry is None or self.remote is None:
            return entry
        try:
            current = await self.remote.versions(state.tags)
        except RedisUnavailable:
            return entry  # Redis away: L1 alone, as good as it gets
        if entry.versions != current:
            self.local.discard(state.key)
            return None
        return entry

    async def _join_or_lead(self, ctx: RequestContext, state: Lookup) -> CachedResponse | None:
        # filled by a leader while this request awaited Redis
        entry = self.local.get(state.key)
        if entry is not None and entry.versions == state.versions:
            return self._hit(ctx, state, entry)
        flight = self.flights.current(state.key)
        if (
            flight is not None
            and flight.versions == state.versions
            and not self.local.invalidated_since(flight.seq, state.tags)
        ):
            shared = await self.flights.wait(flight)
            if shared is not None:
                return self._hit(ctx, state, shared)
            return None
        state.flight = self.flights.start(state.key, state.versions, state.seq)
        # without a flight of its own another request of this process computes the key already
        if state.flight is None or self.remote is None or state.versions is None:
            return None
        return await self._wait_for_other_process(ctx, state)

    async def _wait_for_other_process(self, ctx: RequestContext, state: Lookup) -> CachedResponse | None:
        try:
            if await self.remote.lock(state.key):  # type: ignore[union-attr]
                return None
            polls = max(1, self.settings.lock_ms // self.settings.poll_ms)
            for _ in range(polls):
                await asyncio.sleep(self.settings.poll_ms / 1000)
                raw = await self.remote.get(state.key)  # type: ignore[union-attr]
                entry = _decode(raw)
                if entry is not None and entry.versions == state.versions:
                    self.local.put(state.key, entry)
                    if state.flight is not None:
                        self.flights.finish(state.key, state.flight, entry)
                        state.flight = None
                    return self._hit(ctx, state, entry)
        except RedisUnavailable:
            pass
        return None  # the other process did not deliver in time: compute it here

    def _hit(self, ctx: RequestContext, state: Lookup, entry: Entry) -> CachedResponse:
        ctx.cache_status = "hit"
        self.counters.hit(entry.route)
        state.hit = entry
        headers = [
            *entry.headers,
            (b"etag", entry.etag.encode()),
            (b"cache-control", http.response_cache_control(state.policy).encode()),
            (b"x-cache", b"HIT"),
        ]
        return CachedResponse(status=entry.status, headers=headers, body=entry.body)

    def _miss(self, ctx: RequestContext, state: Lookup) -> None:
        ctx.cache_status = "miss"
        ctx.buffer_response = True
        self.counters.miss(ctx.route or ctx.path)

    # --- response (observers) ----------------------------------------------------------------

    def before_response(self, ctx: RequestContext, response: ResponseInfo) -> None:
        state: Lookup | None = ctx.extras.get(EXTRAS_KEY)
        if state is None:
            return
        if state.hit is None and response.status == 200 and response.body is not None:
            etag = strong_etag(response.body)
            if cacheable(response.headers):
                state.built = Entry(
                    status=200,
                    headers=replayable_headers(response.headers),
                    body=response.body,
                    etag=etag,
                    route=ctx.route or ctx.path,
                    tags=state.tags,
                    versions=state.versions,
                    ttl=self._ttl(state.policy),
                )
            response.set_header("etag", etag)
            response.set_header("cache-control", http.response_cache_control(state.policy))
            response.set_header("x-cache", "MISS")
        etag = response.header("etag")
        if response.status == 200 and etag is not None and http.etag_matches(state.if_none_match, etag):
            response.status = 304
            response.body = b""

    def request_finished(self, ctx: RequestContext, response: ResponseInfo) -> Awaitable[None] | None:
        state: Lookup | None = ctx.extras.get(EXTRAS_KEY)
        if state is None or state.hit is not None:
            return None
        # only what before_response built from a 200 is stored; errors (and 500s) never are
        entry = state.built if response.status in (200, 304) else None
        if entry is not None and self.local.invalidated_since(state.seq, entry.tags):
            entry = None  # a write committed while the handler ran: its result may predate it
        if state.flight is not None:
            self.flights.finish(state.key, state.flight, entry)
        if entry is None:
            if self.remote is not None and state.versions is not None:
                return self._quietly(self.remote.unlock(state.key))
            return None
        self.local.put(state.key, entry)
        self.counters.stores += 1
        if self.remote is not None and entry.versions is not None:
            return self._quietly(self.remote.store(state.key, entry.encode(), entry.ttl))
        return None

    def _ttl(self, policy: CachePolicy) -> float:
        ttl = policy.ttl if policy.ttl > 0 else self.settings.default_ttl
        return min(ttl, self.settings.max_ttl)

    @staticmethod
    async def _quietly(call: Awaitable[None]) -> None:
        # counted by RemoteCache; L1 holds the entry
        with contextlib.suppress(RedisUnavailable):
            await call

    # --- invalidation ----------------------------------------------------------------------

    def changes_committed(self, changes: list[Change]) -> Awaitable[bool] | None:
        """Evict L1 now; the returned awaitable (awaited before the write is acknowledged) bumps L2."""
        return self.invalidate(self.entities.tags_of_all(changes))

    def invalidate(self, tags: Iterable[str]) -> Awaitable[bool] | None:
        tags = set(tags)
        if not tags:
            return None
        self.counters.invalidations += 1
        self.local.invalidate(tags)
        if self.remote is None:
            return None
        return self.remote.invalidate(tags)

    async def clear(self) -> None:
        pending = self.invalidate({ALL})
        if pending is not None:
            await pending
        self.local.clear()

    # --- figures ---------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        counters = self.counters
        return {
            "enabled": self.settings.enabled,
            "hits": counters.hits,
            "misses": counters.misses,
            "ratio": counters.ratio,
            "stores": counters.stores,
            "invalidations": counters.invalidations,
            "evictions": self.local.evictions,
            "entries": self.local.entries,
            "bytes": self.local.bytes,
            "max_entries": self.settings.l1_max_entries,
            "max_bytes": self.settings.l1_max_bytes,
            "in_flight": len(self.flights),
            "routes": {route: figures.as_dict() for route, figures in sorted(counters.routes.items())},
            "redis": self.remote.status() if self.remote is not None else {"configured": False, "state": "off"},
        }

    async def health(self) -> HealthResult:
        if self.remote is None:
            return HealthResult("ok", "L1 only (no redis_url)")
        # a real round trip (after a failure only once the retry pause is over): idle processes see outages too
        await self.remote.ping()
        if self.remote.up:
            return HealthResult("ok", "L1 and Redis")
        return HealthResult("degraded", f"Redis unreachable, serving from L1 only: {self.remote.last_error}")


def _decode(raw: bytes | None) -> Entry | None:
    """An entry from Redis; one this version cannot read (another release wrote it) is a miss."""
    if raw is None:
        return None
    try:
        return Entry.decode(raw)
    except (ValueError, KeyError, TypeError):
        log.warning("cache: ignoring an unreadable entry in Redis")
        return None
