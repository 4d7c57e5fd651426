"""The cache of one app: lookup before the handler, store after it, evict on commit.

Read path: L1 -> L2 (Redis) -> handler. A hit in L1 is answered in the middleware from a
response built when the entry was stored. A miss registers a flight (single flight in
process, stale-marking by commits), reads L2 in one round trip, takes the stampede lock in
Redis or waits for the process that holds it, and buffers the handler's response;
``before_response`` adds the validators (and turns it into a 304), ``request_finished``
stores it.

Write path, and why a write is never acknowledged before its invalidation: the commit
observer evicts L1 and marks in-flight computations stale synchronously, inside COMMIT; the
Redis part (new tag generations + broadcast) is the awaitable it returns, which
``Database.transaction`` awaits before the handler can answer. Until that Redis call is done
the tags are "in transit": this process neither keeps an L2 answer for them in L1 nor stores
one (it could be the old value). Other processes evict their L1 when the broadcast reaches
them; their L2 reads compare generations, so they never take an old entry from Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers

from modular_server.plugin import (
    Base,
    CachedResponse,
    Change,
    HealthResult,
    Periodic,
    RequestContext,
    ResponseInfo,
    cache_policy_of,
    host_of,
)
from modular_server.plugins.cache.entry import Entry, decode, encode
from modular_server.plugins.cache.flights import Flight, Flights
from modular_server.plugins.cache.http import etag_matches, strong_etag, wants_revalidation
from modular_server.plugins.cache.local import LocalCache
from modular_server.plugins.cache.plans import RoutePlan, cache_key, plan_for
from modular_server.plugins.cache.settings import CacheSettings
from modular_server.plugins.cache.tags import ALL, TagRules

if TYPE_CHECKING:
    from fastapi import FastAPI

    from modular_server.plugin import PluginHostView
    from modular_server.plugins.cache.remote import Fetched, RemoteCache
    from modular_server.plugins.cache.subscriber import Subscriber

log = logging.getLogger("modular_server.cache")
NAME = "cache"
SUBSCRIBE_WAIT_SECONDS = 2.0


async def start_cache(app: FastAPI, settings: CacheSettings, plugin_version: str) -> CacheRuntime:
    """The started cache of ``app``: L1 always, L2 in Redis when ``use_redis`` and the core's
    ``redis_url`` allow. Entries are keyed by server and plugin version, so an upgrade never
    answers from an older version's entries."""
    from modular_server import __version__

    core = app.state.settings
    remote = None
    if settings.use_redis and core.redis_url:
        from modular_server.plugins.cache.remote import RemoteCache

        prefix = settings.key_prefix if settings.key_prefix is not None else f"{core.redis_prefix}cache:"
        remote = RemoteCache(core.redis_url, settings, prefix)
    runtime = CacheRuntime(settings, TagRules(Base.metadata, settings), f"{__version__}/{plugin_version}", remote)
    await runtime.start(core.redis_url, host_of(app))
    return runtime


class RequestState:
    """What a miss carries from lookup to ``before_response`` and ``request_finished``."""

    __slots__ = ("entry", "flight", "if_none_match", "plan")

    def __init__(self, flight: Flight, plan: RoutePlan, if_none_match: str | None) -> None:
        self.flight = flight
        self.plan = plan
        self.if_none_match = if_none_match
        self.entry: Entry | None = None


class CacheRuntime:
    def __init__(
        self, settings: CacheSettings, rules: TagRules, version: str, remote: RemoteCache | None = None
    ) -> None:
        self.settings = settings
        self.rules = rules
        self.version = version
        self.remote = remote
        self.subscriber: Subscriber | None = None
        self.retrying: Periodic | None = None
        self.local = LocalCache(settings.l1_max_entries, settings.l1_max_bytes)
        self.flights = Flights(lease_seconds=settings.lock_ms / 1000)
        self._wait_seconds = settings.lock_ms / 1000
        self._plans: dict[str, RoutePlan | None] = {}
        self._scopes: dict[frozenset[str], str] = {}
        self._transit: dict[str, int] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        self.routes: dict[str, list[int]] = {}  # route -> [hits, misses]
        self.hits = {"l1": 0, "l2": 0, "shared": 0}
        self.misses = 0
        self.not_modified = 0
        self.invalidated_tags = 0
        self.invalidated_entries = 0
        self.remote_stores = 0
        self.stale_discarded = 0
        #: lookups that waited for another process computing the same key (its Redis lock), and
        #: those of them that gave up after lock_ms and computed too
        self.waited_for_other_process = 0
        self.gave_up_waiting = 0
        #: a response was looked up: from now on L1 may hold entries (see RemoteCache.announce)
        self._looked_up = False

    # --- life ------------------------------------------------------------------------------

    async def start(self, redis_url: str, host: PluginHostView | None = None) -> None:
        if self.remote is None:
            return
        from modular_server.plugins.cache.subscriber import Subscriber

        self.subscriber = Subscriber(
            redis_url,
            self.remote.channel,
            self.remote.origin,
            self.settings,
            self._apply_remote,
            self._resync,
            self.remote.acknowledge,
        )
        self._tasks.append(asyncio.get_running_loop().create_task(self.subscriber.run()))
        self.retrying = Periodic(
            self.settings.redis_retry_seconds, self._probe_if_owed, name="redis retry", plugin=NAME, host=host
        )
        self.retrying.start()
        await self.remote.probe()  # opens a pooled connection now, not within the first lookup's timeout
        with contextlib.suppress(TimeoutError):  # Redis may be down at startup: L1 until it is back
            await asyncio.wait_for(self.subscriber.subscribed.wait(), SUBSCRIBE_WAIT_SECONDS)
        # until its first lookup this process holds nothing a late acknowledgement could leave stale
        await self.remote.announce(starting=True)

    async def stop(self) -> None:
        if self.retrying is not None:
            await self.retrying.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.subscriber is not None:
            await self.subscriber.aclose()
        if self.remote is not None:
            if not self._looked_up:
                await self.remote.announce(starting=False)
            await self.remote.aclose()

    def _first_lookup(self) -> None:
        self._looked_up = True
        if self.remote is not None:
            self._tasks.append(asyncio.get_running_loop().create_task(self.remote.announce(starting=False)))

    async def _probe_if_owed(self) -> None:
        """Every ``redis_retry_seconds``: while Redis is down or owed an announcement, try it."""
        assert self.remote is not None
        if self.remote.owed or not self.remote.breaker.up:
            await self.remote.probe()

    # --- lookup ----------------------------------------------------------------------------

    def lookup(self, ctx: RequestContext, headers: Headers) -> CachedResponse | Awaitable[CachedResponse | None] | None:
        if not self._looked_up:
            self._first_lookup()
        if ctx.method != "GET" or not self.settings.enabled:
            return None
        route = ctx.route
        plan = self._plans.get(route) if route in self._plans else self._plan(ctx)
        if plan is None:
            return None
        key = cache_key(self.version, "GET", plan.route, ctx.path, ctx.query_string, self._scope(ctx))
        revalidate = wants_revalidation(headers)
        if not revalidate:
            entry = self.local.get(key)
            if entry is not None:
                self.hits["l1"] += 1
                return self._answer(ctx, plan, entry, headers)
        return self._miss(ctx, headers, plan, key, revalidate)

    def _plan(self, ctx: RequestContext) -> RoutePlan | None:
        policy = cache_policy_of(ctx.endpoint)
        plan = None if policy is None or ctx.route is None else plan_for(ctx.route, policy, self.settings)
        self._plans[ctx.route or ""] = plan
        return plan

    def _scope(self, ctx: RequestContext) -> str:
        scopes = ctx.principal.scopes if ctx.principal is not None else frozenset()
        text = self._scopes.get(scopes)
        if text is None:
            text = self._scopes[scopes] = ",".join(sorted(scopes))
        return text

    def _answer(self, ctx: RequestContext, plan: RoutePlan, entry: Entry, headers: Headers) -> CachedResponse:
        ctx.cache_status = "hit"
        figures = self.routes.get(plan.route)
        if figures is None:
            figures = self.routes[plan.route] = [0, 0]
        figures[0] += 1
        if_none_match = headers.get("if-none-match")
        if if_none_match is not None and etag_matches(if_none_match, entry.etag):
            self.not_modified += 1
            return entry.not_modified
        return entry.hit

    async def _miss(
        self, ctx: RequestContext, headers: Headers, plan: RoutePlan, key: str, revalidate: bool
    ) -> CachedResponse | None:
        tags = plan.tags(ctx.path_params)
        if tags is None:
            return None
        lead = False
        if not revalidate:
            leader = self.flights.leader(key)
            if leader is not None:
                shared = await leader.result(self._wait_seconds)
                if shared is not None:
                    self.hits["shared"] += 1
                    return self._answer(ctx, plan, shared, headers)
            lead = self.flights.leader(key) is None
        flight = self.flights.begin(key, tags, lead=lead)
        if self.remote is not None and self.remote.readable and not self._in_transit(tags):
            found = await self._from_redis(self.remote, flight, revalidate)
            if found is not None:
                self.hits["l2"] += 1
                self.flights.end(flight, found)
                return self._answer(ctx, plan, found, headers)
        self.misses += 1
        figures = self.routes.get(plan.route)
        if figures is None:
            figures = self.routes[plan.route] = [0, 0]
        figures[1] += 1
        ctx.cache_status = "miss"
        ctx.buffer_response = True
        ctx.extras[NAME] = RequestState(flight, plan, headers.get("if-none-match"))
        return None

    async def _from_redis(self, remote: RemoteCache, flight: Flight, revalidate: bool) -> Entry | None:
        """An entry from L2 (kept in L1 too), or None with the flight ready to compute."""
        fetched = await remote.fetch(flight.key, flight.tags)
        if fetched is None:
            return None
        if revalidate:
            flight.generations = fetched.generations
            return None
        deadline = time.monotonic() + self._wait_seconds
        waited = False
        while True:
            entry = self._valid(fetched)
            if entry is not None:
                self._keep(flight, entry)
                return entry
            flight.generations = fetched.generations
            if not fetched.locked:
                token = await remote.acquire(flight.key)
                if token is not None:
                    flight.lock_token = token
                    return None
            if time.monotonic() >= deadline:
                self.gave_up_waiting += 1
                return None  # the process computing it is too slow: compute here too
            # another process computes this key: wait for its result instead of computing again
            if not waited:
                waited = True
                self.waited_for_other_process += 1
            await asyncio.sleep(self.settings.lock_poll_ms / 1000)
            fetched = await remote.fetch(flight.key, flight.tags)
            if fetched is None:
                flight.generations = None
                return None

    def _valid(self, fetched: Fetched) -> Entry | None:
        if fetched.raw is None:
            return None
        try:
            entry, generations = decode(fetched.raw)
        except (ValueError, KeyError, TypeError):
            return None
        if generations != fetched.generations or entry.remaining(time.time()) <= 0:
            return None
        return entry

    def _keep(self, flight: Flight, entry: Entry) -> None:
        if flight.stale or self._in_transit(flight.tags):
            return
        self.local.put(flight.key, entry, flight.tags, entry.remaining(time.time()))

    def _in_transit(self, tags: Iterable[str]) -> bool:
        transit = self._transit
        return bool(transit) and (ALL in transit or any(tag in transit for tag in tags))

    # --- response --------------------------------------------------------------------------

    def before_response(self, ctx: RequestContext, response: ResponseInfo) -> None:
        state: RequestState | None = ctx.extras.get(NAME)
        if state is None:
            return
        response.set_header("x-cache", "MISS")
        body = response.body
        if (
            response.status != 200
            or body is None
            or len(body) > self.settings.max_entry_bytes
            or response.header("set-cookie") is not None
        ):
            return
        etag = strong_etag(body)
        content_type = response.header("content-type")
        state.entry = Entry.build(
            body,
            content_type.encode("latin-1") if content_type else None,
            etag,
            state.plan.cache_control,
            time.time(),
            state.plan.ttl,
        )
        response.set_header("etag", etag)
        response.set_header("cache-control", state.plan.cache_control.decode())
        if state.if_none_match is not None and etag_matches(state.if_none_match, etag):
            self.not_modified += 1
            response.status = 304
            response.body = b""
            response.headers = [(k, v) for k, v in response.headers if k.lower() != b"content-type"]

    def finished(self, ctx: RequestContext) -> Awaitable[None] | None:
        state: RequestState | None = ctx.extras.get(NAME)
        if state is None:
            return None
        flight, entry = state.flight, state.entry
        fresh = entry is not None and not flight.stale and not self._in_transit(flight.tags)
        if fresh:
            assert entry is not None
            self.local.put(flight.key, entry, flight.tags, state.plan.ttl)
        elif entry is not None:
            self.stale_discarded += 1
        self.flights.end(flight, entry if fresh else None)
        remote = self.remote
        if remote is None:
            return None
        if fresh and flight.generations is not None:
            assert entry is not None
            return self._store_remote(remote, flight, entry)
        if flight.lock_token is not None:
            return remote.release(flight.key, flight.lock_token)
        return None

    async def _store_remote(self, remote: RemoteCache, flight: Flight, entry: Entry) -> None:
        assert flight.generations is not None
        if await remote.store(
            flight.key, encode(entry, flight.generations), entry.ttl, flight.tags, flight.generations, flight.lock_token
        ):
            self.remote_stores += 1

    # --- invalidation ----------------------------------------------------------------------

    def on_changes(self, changes: list[Change]) -> Awaitable[bool] | None:
        return self.invalidate(self.rules.for_changes(changes))

    def invalidate(self, tags: Iterable[str]) -> Awaitable[bool] | None:
        """Evict ``tags`` here at once; the returned awaitable evicts them in Redis and in
        every other process (None without Redis)."""
        tags = set(tags)
        self._evict_here(tags)
        if self.remote is None:
            return None
        for tag in tags:
            self._transit[tag] = self._transit.get(tag, 0) + 1
        return self._invalidate_remote(self.remote, tags)

    async def _invalidate_remote(self, remote: RemoteCache, tags: set[str]) -> bool:
        try:
            return await remote.invalidate(tags)
        finally:
            for tag in tags:
                left = self._transit[tag] - 1
                if left:
                    self._transit[tag] = left
                else:
                    del self._transit[tag]

    def _evict_here(self, tags: set[str]) -> None:
        self.invalidated_tags += len(tags)
        self.invalidated_entries += self.local.clear() if ALL in tags else self.local.evict_tags(tags)
        self.flights.mark_stale(tags)

    def _apply_remote(self, tags: list[str]) -> None:
        self._evict_here(set(tags))

    def _resync(self) -> None:
        """The channel was (re)subscribed: what came meanwhile is unknown, so L1 starts afresh."""
        self.local.clear()
        self.flights.mark_stale((ALL,))

    # --- reports ---------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        hits = sum(self.hits.values())
        lookups = hits + self.misses
        local = self.local.figures()
        return {
            "enabled": self.settings.enabled,
            "hits": hits,
            "misses": self.misses,
            "hit_ratio": round(hits / lookups, 4) if lookups else None,
            "hits_by_level": dict(self.hits),
            "not_modified": self.not_modified,
            "evictions": local["evictions"],
            "expirations": local["expirations"],
            "invalidated_tags": self.invalidated_tags,
            "invalidated_entries": self.invalidated_entries,
            "stale_discarded": self.stale_discarded,
            "size": {
                "entries": local["entries"],
                "bytes": local["bytes"],
                "max_entries": self.settings.l1_max_entries,
                "max_bytes": self.settings.l1_max_bytes,
                "tags_indexed": local["tags_indexed"],
            },
            "in_flight": len(self.flights),
            "routes": {
                route: {"hits": h, "misses": m, "hit_ratio": round(h / (h + m), 4) if h + m else None}
                for route, (h, m) in sorted(self.routes.items())
            },
            "redis": self._redis_figures(),
        }

    def _redis_figures(self) -> dict[str, Any]:
        if self.remote is None:
            return {"configured": False}
        figures = self.remote.figures()
        figures["stores"] = self.remote_stores
        figures["subscribed"] = self.subscriber is not None and self.subscriber.subscribed.is_set()
        figures["messages_received"] = self.subscriber.received if self.subscriber is not None else 0
        figures["waited_for_other_process"] = self.waited_for_other_process
        figures["gave_up_waiting"] = self.gave_up_waiting
        return figures

    def health(self) -> HealthResult:
        if self.remote is None:
            return HealthResult("ok", "L1 only (no redis_url)")
        problems = []
        if not self.remote.breaker.up:
            problems.append(f"Redis unreachable ({self.remote.breaker.last_error})")
        if self.remote.owed:
            problems.append(f"{len(self.remote.owed)} invalidations not yet delivered to Redis")
        if self.subscriber is None or not self.subscriber.subscribed.is_set():
            problems.append("invalidation channel not subscribed")
        if problems:
            return HealthResult("degraded", "serving from L1 only: " + "; ".join(problems))
        return HealthResult("ok", "L1 and Redis")
