"""The plugin kernel: discovery, dependency graph, per-plugin state, isolated hook dispatch.

Load pipeline per plugin (after Home Assistant): selection -> requirements -> import ->
spec/contract -> dependency graph -> register hooks (typo check) -> settings -> models ->
routes; ``startup`` runs later in the app's lifespan. One plugin's failure never stops the
others; every outcome is a :class:`PluginRecord` with a state, reason and hint.
"""

from __future__ import annotations

import asyncio
import difflib
import inspect
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy
from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.exc import InvalidRequestError

from modular_server.core.graph import find_cycle, topological_order
from modular_server.core.sources import PluginSource, missing_modules, missing_requirements
from modular_server.core.states import PluginRecord, PluginState
from modular_server.hooks import specs
from modular_server.hooks.markers import CONTRACT_VERSION, PROJECT_NAME
from modular_server.hooks.spec import PluginSpec
from modular_server.settings import Settings, load_plugin_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("modular_server.plugins")

OBSERVER_HOOKS = ("before_response", "request_finished", "query_executed", "changes_committed", "event_published")
GATE_HOOKS = ("authenticate", "lookup_response")
_KNOWN_HOOKS = tuple(name for name in dir(specs) if hasattr(getattr(specs, name), "modular_server_spec"))
_DUPLICATE_TABLE = re.compile(r"Table '([^']+)' is already defined")


class PluginStartupError(RuntimeError):
    """Raised in strict mode when an enabled plugin does not become active."""

    def __init__(self, failed: Sequence[PluginRecord]) -> None:
        lines = [f"{r.name}: {r.state.value} - {r.reason}" + (f" (fix: {r.hint})" if r.hint else "") for r in failed]
        super().__init__("strict_plugins: not every enabled plugin is active:\n  " + "\n  ".join(lines))
        self.failed = list(failed)


# One implementation as the dispatcher calls it: owning record, function, argument names.
_Impl = tuple[PluginRecord | None, Callable[..., Any], tuple[str, ...]]


class PluginHost:
    """Owns the pluggy manager and every plugin's record, settings and runtime data."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(specs)
        self.records: dict[str, PluginRecord] = {}
        self.order: list[str] = []
        self.table_owner: dict[str, str] = {}
        #: per-plugin runtime objects (caches, queues, clients); keyed by plugin name
        self.data: dict[str, Any] = {}
        self._observers: dict[str, list[_Impl]] = {}
        self._gates: dict[str, list[_Impl]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.builtin_names: set[str] = set()

    # --- loading ---------------------------------------------------------------------------

    def register_builtin(self, obj: Any, name: str) -> None:
        """Core implementations of hooks (e.g. API-key authentication); not a plugin record."""
        self.pm.register(obj, name=name)
        self.builtin_names.add(name)

    def load(self, sources: Iterable[PluginSource]) -> None:
        for source in sources:
            if source.name in self.records:
                dup = PluginRecord(source=source)
                dup.fail(
                    PluginState.IMPORT_ERROR,
                    f"duplicate plugin name {source.name!r} (also from {self.records[source.name].source.origin})",
                )
                self.records[f"{source.name}#{len(self.records)}"] = dup
                continue
            self.records[source.name] = self._import(source)
        self._resolve_graph()
        for name in self.order:
            record = self.records[name]
            if record.state is PluginState.ACTIVE:
                self._skip_if_requirement_inactive(record)
            if record.state is PluginState.ACTIVE:
                self._setup(record)
        self.rebuild_dispatch()

    def _import(self, source: PluginSource) -> PluginRecord:
        record = PluginRecord(source=source)
        if not self.settings.plugins.allows(source.name):
            record.fail(
                PluginState.DISABLED,
                "disabled by configuration",
                f"remove {source.name!r} from plugins.disabled / add it to plugins.enabled",
            )
            return record
        missing = missing_requirements(source.requirements)
        if missing:
            extra = (
                f'pip install "modular-server[{",".join(source.extras)}]"'
                if source.extras
                else f"pip install {' '.join(missing)}"
            )
            record.fail(PluginState.MISSING_DEPENDENCY, f"missing packages: {', '.join(missing)}", extra)
            return record
        with self._phase(record, "import"):
            try:
                obj = source.load()
            except Exception as exc:  # an import of third-party code may raise anything
                log.warning(
                    "plugin %s failed to import: %s: %s",
                    source.name,
                    type(exc).__name__,
                    exc,
                    exc_info=log.isEnabledFor(logging.DEBUG),
                )
                record.fail(
                    PluginState.IMPORT_ERROR, f"{type(exc).__name__}: {exc}", f"fix the import error in {source.origin}"
                )
                return record
        spec = getattr(obj, "PLUGIN", None)
        if not isinstance(spec, PluginSpec):
            record.fail(
                PluginState.IMPORT_ERROR,
                "the plugin object has no PLUGIN = PluginSpec(...)",
                "declare PLUGIN in the plugin module",
            )
            return record
        record.obj, record.spec = obj, spec
        if spec.name != source.name:
            record.fail(
                PluginState.IMPORT_ERROR,
                f"entry point {source.name!r} loads plugin named {spec.name!r}",
                "make both names equal",
            )
        elif spec.contract != CONTRACT_VERSION:
            record.fail(
                PluginState.SETUP_FAILED,
                f"written for plugin contract {spec.contract}; this server implements contract {CONTRACT_VERSION}",
                "install a version of the plugin made for this server",
            )
        elif missing := missing_modules(spec.python_packages):
            record.fail(
                PluginState.MISSING_DEPENDENCY,
                f"missing Python packages: {', '.join(missing)}",
                spec.install_hint or f"pip install {' '.join(missing)}",
            )
        return record

    def _resolve_graph(self) -> None:
        candidates = {name: r.requires for name, r in self.records.items() if r.state is PluginState.ACTIVE}
        while cycle := find_cycle(candidates):
            path = " -> ".join(cycle)
            for name in set(cycle):
                self.records[name].fail(
                    PluginState.SETUP_FAILED, f"dependency cycle: {path}", "remove one of the requirements on this path"
                )
                candidates.pop(name, None)
        everyone = {name: r.requires for name, r in self.records.items()}
        self.order = topological_order(everyone)
        # names left out of the order stand on a cycle; keep them, sorted, for reporting
        self.order += sorted(set(everyone) - set(self.order))

    def _skip_if_requirement_inactive(self, record: PluginRecord) -> None:
        for dep in record.requires:
            other = self.records.get(dep)
            if other is None:
                record.fail(
                    PluginState.SKIPPED,
                    f"requires plugin {dep!r}, which is not installed",
                    f"install the plugin {dep!r}",
                )
                return
            if not other.state.serving:
                record.fail(
                    PluginState.SKIPPED,
                    f"requires plugin {dep!r}, which is {other.state.value}: {other.reason}",
                    other.hint or f"make {dep!r} active",
                )
                return

    def _setup(self, record: PluginRecord) -> None:
        with self._phase(record, "register"):
            if not self._register(record):
                return
        with self._phase(record, "config"):
            model = self._call_one(record, "plugin_settings")
            if model is not None:
                try:
                    record.settings = load_plugin_settings(model, self.settings, record.name)
                except ValidationError as exc:
                    self._unregister(
                        record,
                        PluginState.INVALID_CONFIG,
                        _validation_text(exc),
                        f"fix MODULAR_SERVER_{record.name.upper()}__* or the [{record.name}] table",
                    )
                    return
        with self._phase(record, "setup"):
            try:
                self._collect_models(record)
                location = self._call_one(record, "migration_locations")
                record.migrations = Path(location) if location else None
                routers = list(self._call_one(record, "register_routes", settings=record.settings) or ())
                self._check_prefixes(record, routers)
                record.routers = routers
            except _PluginSetupError as exc:
                self._unregister(record, PluginState.SETUP_FAILED, str(exc), exc.hint)
            except Exception as exc:  # plugin code: report, never crash the server
                log.exception("plugin %s failed during setup", record.name)
                self._unregister(record, PluginState.SETUP_FAILED, f"{type(exc).__name__}: {exc}")

    def _register(self, record: PluginRecord) -> bool:
        try:
            self.pm.register(record.obj, name=record.name)
        except pluggy.PluginValidationError as exc:
            record.fail(
                PluginState.SETUP_FAILED, f"invalid hook implementation: {exc}", "match the hook's documented arguments"
            )
            return False
        hooks = []
        for caller in self.pm.get_hookcallers(record.obj) or ():
            if not caller.has_spec():
                close = difflib.get_close_matches(caller.name, _KNOWN_HOOKS, n=1)
                hint = f"did you mean {close[0]!r}?" if close else "see modular_server.hooks.specs for the hook names"
                self._unregister(record, PluginState.SETUP_FAILED, f"implements unknown hook {caller.name!r}", hint)
                return False
            hooks.append(caller.name)
        record.hooks = tuple(sorted(hooks))
        return True

    def _unregister(self, record: PluginRecord, state: PluginState, reason: str, hint: str = "") -> None:
        record.fail(state, reason, hint)
        if self.pm.is_registered(record.obj):
            self.pm.unregister(record.obj)
        for table, owner in list(self.table_owner.items()):
            if owner == record.name:
                del self.table_owner[table]
        self._cascade_skips()

    def _cascade_skips(self) -> None:
        for name in self.order:
            record = self.records[name]
            if record.state.serving and record.obj is not None:
                before = record.state
                self._skip_if_requirement_inactive(record)
                if record.state is not before and self.pm.is_registered(record.obj):
                    self.pm.unregister(record.obj)

    def _collect_models(self, record: PluginRecord) -> None:
        from modular_server.core.database import Base

        try:
            modules = list(self._call_one(record, "register_models") or ())
        except InvalidRequestError as exc:
            match = _DUPLICATE_TABLE.search(str(exc))
            if not match:
                raise
            table = match.group(1)
            owner = self.table_owner.get(table, "another plugin")
            raise _PluginSetupError(
                f"table {table!r} is already defined by plugin {owner!r}; plugin {record.name!r} defines it again",
                "a table has exactly one owning plugin: reuse it through requires",
            ) from exc
        tables = set(_tables_of(modules, Base.registry.mappers))
        for table in sorted(tables):
            owner = self.table_owner.get(table)
            if owner and owner != record.name:
                raise _PluginSetupError(
                    f"table {table!r} is already owned by plugin {owner!r}; plugin {record.name!r} defines it too",
                    "a table has exactly one owning plugin: reuse it through requires",
                )
        for table in tables:
            self.table_owner[table] = record.name
        record.tables = tuple(sorted(tables))

    @staticmethod
    def _check_prefixes(record: PluginRecord, routers: Sequence[Any]) -> None:
        declared = record.spec.prefixes if record.spec else ()
        for router in routers:
            for route in router.routes:
                path = getattr(route, "path", None)
                if path is None:
                    raise _PluginSetupError(
                        "a router includes another router; nested routers are not mounted",
                        "return every router from register_routes instead of include_router",
                    )
                if not any(path == p or path.startswith(p.rstrip("/") + "/") for p in declared):
                    raise _PluginSetupError(
                        f"route {path!r} lies outside the declared prefixes {list(declared)}",
                        "add the prefix to PluginSpec.prefixes",
                    )

    @contextmanager
    def _phase(self, record: PluginRecord, phase: str) -> Any:
        started = time.perf_counter()
        try:
            yield
        finally:
            record.timings[phase] = record.timings.get(phase, 0.0) + time.perf_counter() - started

    def _call_one(self, record: PluginRecord, hook: str, **kwargs: Any) -> Any:
        """Call one plugin's implementation of a collect hook (None if it has none)."""
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            if impl.plugin is record.obj:
                return impl.function(*[kwargs[arg] for arg in impl.argnames])
        return None

    # --- lifecycle -------------------------------------------------------------------------

    def active(self) -> list[PluginRecord]:
        """Serving plugins in dependency order."""
        return [self.records[n] for n in self.order if self.records[n].state.serving]

    def failures(self) -> list[PluginRecord]:
        """Enabled plugins that are not serving (what strict mode refuses)."""
        return [r for r in self.records.values() if not r.state.serving and r.state is not PluginState.DISABLED]

    def raise_if_strict(self) -> None:
        if self.settings.strict_plugins and (failed := self.failures()):
            raise PluginStartupError(failed)

    async def start(self, app: FastAPI) -> None:
        for record in self.active():
            self._skip_if_requirement_inactive(record)
            if not record.state.serving:
                # a failed startup earlier in this loop may have skipped (and unregistered) it already
                if self.pm.is_registered(record.obj):
                    self.pm.unregister(record.obj)
                continue
            with self._phase(record, "startup"):
                try:
                    result = self._call_one(record, "startup", app=app, settings=record.settings)
                    if inspect.isawaitable(result):
                        await asyncio.wait_for(result, self.settings.startup_timeout_seconds)
                except TimeoutError:
                    self._unregister(
                        record,
                        PluginState.SETUP_FAILED,
                        f"startup did not finish within {self.settings.startup_timeout_seconds}s",
                    )
                except Exception as exc:
                    log.exception("plugin %s failed in startup", record.name)
                    self._unregister(record, PluginState.SETUP_FAILED, f"startup failed: {type(exc).__name__}: {exc}")
                else:
                    record.started = True
                    self.rebuild_dispatch()
        self.rebuild_dispatch()

    async def stop(self, app: FastAPI) -> None:
        for record in reversed(self.active()):
            try:
                result = self._call_one(record, "shutdown", app=app)
                if inspect.isawaitable(result):
                    await asyncio.wait_for(result, self.settings.startup_timeout_seconds)
            except Exception:
                log.exception("plugin %s failed in shutdown", record.name)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.settings.observer_timeout_seconds)

    # --- dispatch --------------------------------------------------------------------------

    def rebuild_dispatch(self) -> None:
        """Precompute, per runtime hook, the implementations to call (serving plugins only)."""
        by_obj = {id(r.obj): r for r in self.records.values() if r.obj is not None}

        def impls(hook: str, observers_only: bool) -> list[_Impl]:
            found: list[_Impl] = []
            for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):
                record = by_obj.get(id(impl.plugin))
                # observers of a plugin whose startup has not run (migrations at startup) would
                # find its state missing, fail and degrade it: they start with the plugin
                if record is not None and (
                    (record.state is not PluginState.ACTIVE or not record.started)
                    if observers_only
                    else not record.state.serving
                ):
                    continue
                found.append((record, impl.function, tuple(impl.argnames)))
            return found

        self._observers = {hook: impls(hook, True) for hook in OBSERVER_HOOKS}
        self._gates = {hook: impls(hook, False) for hook in GATE_HOOKS}

    def has_observers(self, hook: str) -> bool:
        return bool(self._observers.get(hook))

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
        for record, function, argnames in self._observers.get(hook, ()):
            started = time.perf_counter()
            try:
                result = function(*[kwargs[a] for a in argnames])
            except Exception as exc:
                self._observer_failed(record, hook, f"{type(exc).__name__}: {exc}")
                continue
            blocked = time.perf_counter() - started
            awaitable = result is not None and inspect.isawaitable(result)
            if awaitable:
                spawned = spawned or []
                spawned.append(self._spawn(record, hook, result))
            if blocked > blocking_limit:
                self._observer_failed(
                    record, hook, f"blocked the event loop for {blocked:.2f}s (limit {blocking_limit}s)"
                )
            elif not awaitable and record is not None and record.consecutive_failures:
                record.consecutive_failures.pop(hook, None)
        return spawned

    async def gate(self, hook: str, **kwargs: Any) -> Any:
        """First non-None answer of a gate hook; exceptions propagate."""
        for _record, function, argnames in self._gates.get(hook, ()):
            result = function(*[kwargs[a] for a in argnames])
            if inspect.isawaitable(result):
                result = await result
            if result is not None:
                return result
        return None

    def has_gate(self, hook: str) -> bool:
        return bool(self._gates.get(hook))

    def _spawn(self, record: PluginRecord | None, hook: str, awaitable: Awaitable[Any]) -> asyncio.Task[Any]:
        limit = self.settings.observer_timeout_seconds

        async def bounded() -> None:
            try:
                await asyncio.wait_for(awaitable, limit)
            except TimeoutError:
                self._observer_failed(record, hook, f"did not finish within {limit}s")
            except Exception as exc:
                self._observer_failed(record, hook, f"{type(exc).__name__}: {exc}")
            else:
                if record is not None and record.consecutive_failures:
                    record.consecutive_failures.pop(hook, None)

        return self.background(bounded())

    def background(self, coroutine: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run ``coroutine`` as a task owned by the host (awaited for a moment at shutdown)."""
        task = asyncio.get_running_loop().create_task(coroutine)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _observer_failed(self, record: PluginRecord | None, hook: str, what: str) -> None:
        name = record.name if record else "core"
        log.error("observer %s of plugin %s failed: %s", hook, name, what)
        if record is None:
            return
        record.observer_failures += 1
        in_a_row = record.consecutive_failures[hook] = record.consecutive_failures.get(hook, 0) + 1
        if in_a_row >= self.settings.observer_failure_limit and record.state is PluginState.ACTIVE:
            record.fail(
                PluginState.DEGRADED,
                f"observer {hook!r} failed {in_a_row} times in a row (last: {what}); its observers are switched off",
                "fix the plugin and restart the server",
            )
            log.warning("plugin %s is degraded: %s", name, record.reason)
            self.rebuild_dispatch()

    # --- queries ---------------------------------------------------------------------------

    def settings_for(self, name: str) -> Any:
        record = self.records.get(name)
        return record.settings if record else None

    def is_serving(self, name: str) -> bool:
        record = self.records.get(name)
        return bool(record and record.state.serving)

    def report(self) -> list[dict[str, Any]]:
        return [self.records[n].as_dict() for n in self.order]

    def collect(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """(plugin name, answer) of every serving plugin's collect hook."""
        answers = []
        for record in self.active():
            result = self._call_one(record, hook, **kwargs)
            if result is not None:
                answers.append((record.name, result))
        return answers


class _PluginSetupError(Exception):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def _tables_of(modules: Iterable[ModuleType], mappers: Iterable[Any]) -> Iterable[str]:
    names = {m.__name__ for m in modules}
    for mapper in mappers:
        if mapper.class_.__module__ in names and mapper.local_table is not None:
            yield mapper.local_table.name
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, Table):
                yield value.name


def _validation_text(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in error["loc"]) or "(settings)"
        parts.append(f"{where}: {error['msg']}")
    return "invalid settings: " + "; ".join(parts)
