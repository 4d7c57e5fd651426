"""Calling plugins at run time: per-kind hook tables, isolation, failure counting, degrading.

The tables are built from the kind each spec declares (:mod:`modular_server.hooks.kinds`):
observers and gates get a precomputed list of implementations (serving plugins only), collect
hooks are called per plugin on demand. A plugin's failure in an observer or a gate is logged,
counted per hook, and after ``observer_failure_limit`` failures in a row the plugin becomes
``degraded``: its observers and gates are switched off; its routes go on serving.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import pluggy

from modular_server.core.states import PluginRecord, PluginState
from modular_server.hooks import specs
from modular_server.hooks.kinds import HookKind, kinds_of
from modular_server.settings import Settings

log = logging.getLogger("modular_server.plugins")

#: every hook of the contract with its declared kind
HOOK_KINDS: Mapping[str, HookKind] = MappingProxyType(kinds_of(specs))

# One implementation as the dispatcher calls it: owning record (None: the core), function,
# argument names.
Impl = tuple[PluginRecord | None, Callable[..., Any], tuple[str, ...]]


def hooks_of_kind(kind: HookKind) -> tuple[str, ...]:
    return tuple(name for name, declared in HOOK_KINDS.items() if declared is kind)


class Dispatcher:
    """Calls the plugins' hooks by kind; owns the per-kind tables and the background tasks."""

    def __init__(self, pm: pluggy.PluginManager, records: dict[str, PluginRecord], settings: Settings) -> None:
        self.pm = pm
        self.records = records
        self.settings = settings
        self._tables: dict[HookKind, dict[str, list[Impl]]] = {HookKind.OBSERVER: {}, HookKind.GATE: {}}
        self._tasks: set[asyncio.Task[Any]] = set()
        #: background tasks that run until cancelled (periodic loops)
        self._loops: set[asyncio.Task[Any]] = set()

    # --- tables ----------------------------------------------------------------------------

    def rebuild(self) -> None:
        """Precompute, per observer and gate hook, the implementations to call (the core's, and
        those of active plugins; observers only once the plugin has started)."""
        by_obj = {id(r.obj): r for r in self.records.values() if r.obj is not None}
        for kind, table in self._tables.items():
            table.clear()
            for hook in hooks_of_kind(kind):
                table[hook] = self._callable(hook, by_obj)

    def _callable(self, hook: str, by_obj: dict[int, PluginRecord]) -> list[Impl]:
        found: list[Impl] = []
        for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):
            record = by_obj.get(id(impl.plugin))
            if record is not None and not self._calls(record, HOOK_KINDS[hook]):
                continue
            found.append((record, impl.function, tuple(impl.argnames)))
        return found

    @staticmethod
    def _calls(record: PluginRecord, kind: HookKind) -> bool:
        if kind is HookKind.OBSERVER:
            # observers start with the plugin (during the migrations before startup they would
            # find its state missing, fail and degrade it) and stop when it is degraded
            return record.state is PluginState.ACTIVE and record.started
        # a degraded plugin's gates are off too: a cache whose invalidating observer is off
        # must not answer from its cache, an authenticator failing in a row grants nothing
        return record.state is PluginState.ACTIVE

    def table(self, kind: HookKind) -> dict[str, list[Impl]]:
        """The precomputed implementations of every hook of ``kind`` (observer or gate)."""
        return self._tables[kind]

    def has(self, kind: HookKind, hook: str) -> bool:
        return bool(self._tables[kind].get(hook))

    # --- collect ---------------------------------------------------------------------------

    def call_one(self, record: PluginRecord, hook: str, **kwargs: Any) -> Any:
        """Call one plugin's implementation of a hook (None if it has none)."""
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            if impl.plugin is record.obj:
                return impl.function(*[kwargs[arg] for arg in impl.argnames])
        return None

    def implements(self, record: PluginRecord, hook: str) -> bool:
        return any(impl.plugin is record.obj for impl in getattr(self.pm.hook, hook).get_hookimpls())

    def collect_each(self, records: list[PluginRecord], hook: str, **kwargs: Any) -> Iterator[tuple[str, Any]]:
        """(plugin name, answer or the exception it raised) of every given plugin's collect hook."""
        for record in records:
            try:
                result = self.call_one(record, hook, **kwargs)
            except Exception as exc:  # plugin code: the caller reports it under the plugin's name
                log.error("hook %s of plugin %s failed: %s: %s", hook, record.name, type(exc).__name__, exc)
                yield record.name, exc
                continue
            if result is not None:
                yield record.name, result

    # --- observers -------------------------------------------------------------------------

    def observe(self, hook: str, **kwargs: Any) -> list[asyncio.Task[Any]] | None:
        """Call every active plugin's observer; failures are isolated and counted.

        Returns the background tasks started for observers that answered with an awaitable
        (None when there were none), so a caller may wait for them (see ``changes_committed``).

        A synchronous observer cannot be interrupted: it runs on the event loop, and a thread per
        call would cost more than the observers of the hot hooks (``query_executed`` runs per
        statement) take. Instead each call is timed; one that blocks the loop for longer than
        ``observer_blocking_limit_seconds`` counts as a failure, so a plugin that blocks on every
        call is switched off after ``observer_failure_limit`` calls.
        """
        spawned: list[asyncio.Task[Any]] | None = None
        blocking_limit = self.settings.observer_blocking_limit_seconds
        for record, function, argnames in self._tables[HookKind.OBSERVER].get(hook, ()):
            started = time.perf_counter()
            try:
                result = function(*[kwargs[a] for a in argnames])
            except Exception as exc:
                self.failed(record, hook, f"{type(exc).__name__}: {exc}")
                continue
            blocked = time.perf_counter() - started
            awaitable = result is not None and inspect.isawaitable(result)
            if awaitable:
                spawned = spawned or []
                spawned.append(self._spawn(record, hook, result))
            if blocked > blocking_limit:
                self.failed(record, hook, f"blocked the event loop for {blocked:.2f}s (limit {blocking_limit}s)")
            elif not awaitable:
                self._succeeded(record, hook)
        return spawned

    def _spawn(self, record: PluginRecord | None, hook: str, awaitable: Awaitable[Any]) -> asyncio.Task[Any]:
        limit = self.settings.observer_timeout_seconds

        async def bounded() -> None:
            try:
                await asyncio.wait_for(awaitable, limit)
            except TimeoutError:
                self.failed(record, hook, f"did not finish within {limit}s")
            except Exception as exc:
                self.failed(record, hook, f"{type(exc).__name__}: {exc}")
            else:
                self._succeeded(record, hook)

        return self.background(bounded())

    def background(
        self,
        coroutine: Coroutine[Any, Any, Any],
        *,
        name: str | None = None,
        context: contextvars.Context | None = None,
        until_stopped: bool = False,
    ) -> asyncio.Task[Any]:
        """Run ``coroutine`` as a task owned by the host.

        At shutdown (:meth:`settle`) a task that runs ``until_stopped`` (a periodic loop) is
        cancelled at once; any other is given ``observer_timeout_seconds`` to finish, then
        cancelled.
        """
        task = asyncio.get_running_loop().create_task(coroutine, name=name, context=context)
        tasks = self._loops if until_stopped else self._tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return task

    async def settle(self) -> None:
        """At shutdown: stop the loops, give the other background tasks a moment to finish,
        then cancel what is left (so none is destroyed pending with the event loop)."""
        for task in self._loops:
            task.cancel()
        loops = list(self._loops)
        pending: set[asyncio.Task[Any]] = set()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=self.settings.observer_timeout_seconds)
        for task in pending:
            task.cancel()
        if loops or pending:
            await asyncio.wait([*loops, *pending], timeout=self.settings.observer_timeout_seconds)

    # --- gates -----------------------------------------------------------------------------

    async def gate(self, hook: str, **kwargs: Any) -> Any:
        """First non-None answer of a gate hook.

        A plugin's gate that raises counts as that plugin's failure (as an observer's does) and
        answers nothing: the next gate decides. The core's own gates (``record`` None, e.g. the
        API-key check) are not plugin code; their exceptions propagate to the request's error
        handling.
        """
        for record, function, argnames in self._tables[HookKind.GATE].get(hook, ()):
            if record is None:
                result = function(*[kwargs[a] for a in argnames])
                if inspect.isawaitable(result):
                    result = await result
            else:
                try:
                    result = function(*[kwargs[a] for a in argnames])
                    if inspect.isawaitable(result):
                        result = await result
                except Exception as exc:
                    self.failed(record, hook, f"{type(exc).__name__}: {exc}")
                    continue
                self._succeeded(record, hook)
            if result is not None:
                return result
        return None

    # --- failures --------------------------------------------------------------------------

    def _succeeded(self, record: PluginRecord | None, hook: str) -> None:
        if record is not None and record.consecutive_failures:
            record.consecutive_failures.pop(hook, None)

    def failed(self, record: PluginRecord | None, hook: str, what: str) -> None:
        name = record.name if record else "core"
        log.error("%s %s of plugin %s failed: %s", HOOK_KINDS[hook].value, hook, name, what)
        if record is None:
            return
        record.observer_failures += 1
        record.failures_by_hook[hook] = record.failures_by_hook.get(hook, 0) + 1
        in_a_row = record.consecutive_failures[hook] = record.consecutive_failures.get(hook, 0) + 1
        if in_a_row >= self.settings.observer_failure_limit and record.state is PluginState.ACTIVE:
            record.fail(
                PluginState.DEGRADED,
                f"{HOOK_KINDS[hook].value} {hook!r} failed {in_a_row} times in a row (last: {what}); "
                "its observers and gates are switched off",
                "fix the plugin and restart the server",
            )
            log.warning("plugin %s is degraded: %s", name, record.reason)
            self.rebuild()
