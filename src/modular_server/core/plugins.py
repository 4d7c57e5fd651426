"""The plugin host: the one object the app and the plugins talk to (``app.state.host``).

A thin facade over the kernel's three parts, one concept each:

* :mod:`modular_server.core.loader` - sources -> records with a state (import, contract,
  dependency graph, settings, models, routes);
* :mod:`modular_server.core.dispatch` - calling hooks by their declared kind, isolating and
  counting failures, degrading a plugin;
* the lifecycle here - ``startup``/``shutdown`` of every serving plugin under a deadline
  (:mod:`modular_server.core.deadline`), and the queries the rest of the server asks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

from modular_server.core.deadline import DeadlineExceeded, call_with_deadline
from modular_server.core.dispatch import Dispatcher
from modular_server.core.graph import explain_order
from modular_server.core.loader import PluginLoader
from modular_server.core.sources import PluginSource
from modular_server.core.states import PluginRecord, PluginState
from modular_server.hooks import specs
from modular_server.hooks.kinds import HookKind
from modular_server.hooks.markers import PROJECT_NAME
from modular_server.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("modular_server.plugins")


class PluginStartupError(RuntimeError):
    """Raised in strict mode when an enabled plugin does not become active."""

    def __init__(self, failed: Sequence[PluginRecord]) -> None:
        lines = [f"{r.name}: {r.state.value} - {r.reason}" + (f" (fix: {r.hint})" if r.hint else "") for r in failed]
        super().__init__("strict_plugins: not every enabled plugin is active:\n  " + "\n  ".join(lines))
        self.failed = list(failed)


class PluginHost:
    """Owns the pluggy manager and every plugin's record, settings and runtime data."""

    def __init__(self, settings: Settings, *, routes: bool = True) -> None:
        self.settings = settings
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(specs)
        self.records: dict[str, PluginRecord] = {}
        self.table_owner: dict[str, str] = {}
        #: per-plugin runtime objects (caches, queues, clients); keyed by plugin name
        self.data: dict[str, Any] = {}
        self.dispatcher = Dispatcher(self.pm, self.records, settings)
        #: run a coroutine as a task the host owns (:meth:`Dispatcher.background`)
        self.background = self.dispatcher.background
        self.loader = PluginLoader(settings, self.pm, self.records, self.table_owner, self.dispatcher, routes=routes)

    @property
    def order(self) -> list[str]:
        """Every plugin's name in dependency order (those on a cycle last)."""
        return self.loader.order

    # --- loading ---------------------------------------------------------------------------

    def register_builtin(self, obj: Any, name: str) -> None:
        """Core implementations of hooks (e.g. API-key authentication); not a plugin record."""
        self.pm.register(obj, name=name)

    def load(self, sources: Iterable[PluginSource]) -> None:
        self.loader.load(sources)
        self.rebuild_dispatch()

    def fail(self, name: str, state: PluginState, reason: str, hint: str = "") -> None:
        """Take a serving plugin out (e.g. its migration failed); its dependents are skipped."""
        self.loader.unregister(self.records[name], state, reason, hint)
        self.rebuild_dispatch()

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
        """Run each serving plugin's ``startup`` in dependency order, each under the deadline."""
        limit = self.settings.startup_timeout_seconds
        for record in self.active():
            self.loader.skip_if_requirement_inactive(record)
            if not record.state.serving:
                # a failed startup earlier in this loop may have skipped (and unregistered) it already
                if self.pm.is_registered(record.obj):
                    self.pm.unregister(record.obj)
                continue
            with self.loader.phase(record, "startup"):
                try:
                    await self._isolated(record, "startup", limit, app=app, settings=record.settings)
                except DeadlineExceeded:
                    log.error("plugin %s: startup did not finish within %ss; abandoned", record.name, limit)
                    self.loader.unregister(
                        record,
                        PluginState.SETUP_FAILED,
                        f"startup did not finish within {limit}s",
                        "make startup return quickly: start long work as a background task, never block on I/O "
                        f"without a timeout; or raise startup_timeout_seconds (now {limit})",
                    )
                except Exception as exc:
                    log.error("plugin %s failed in startup", record.name, exc_info=exc)
                    self.loader.unregister(
                        record,
                        PluginState.SETUP_FAILED,
                        f"startup failed: {type(exc).__name__}: {exc}",
                        f"fix what the startup of {record.name!r} needs (its traceback is in the log), "
                        f"or disable the plugin (plugins.disabled = [{record.name!r}])",
                    )
                else:
                    record.started = True
            self.rebuild_dispatch()
        self.rebuild_dispatch()

    async def stop(self, app: FastAPI) -> None:
        """Run ``shutdown`` in reverse dependency order; a failing or hanging one is logged."""
        limit = self.settings.startup_timeout_seconds
        for record in reversed(self.active()):
            try:
                await self._isolated(record, "shutdown", limit, app=app)
            except DeadlineExceeded:
                log.error("plugin %s: shutdown did not finish within %ss; abandoned", record.name, limit)
            except Exception:
                log.exception("plugin %s failed in shutdown", record.name)
        await self.dispatcher.settle()

    async def _isolated(self, record: PluginRecord, hook: str, limit: float, **kwargs: Any) -> None:
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            if impl.plugin is record.obj:
                args = [kwargs[arg] for arg in impl.argnames]
                await call_with_deadline(impl.function, args, limit, f"plugin-{record.name}-{hook}")

    # --- dispatch --------------------------------------------------------------------------

    def rebuild_dispatch(self) -> None:
        """Precompute, per observer and gate hook, the implementations to call."""
        self.dispatcher.rebuild()

    def has_observers(self, hook: str) -> bool:
        return self.dispatcher.has(HookKind.OBSERVER, hook)

    def observe(self, hook: str, **kwargs: Any) -> list[asyncio.Task[Any]] | None:
        """Call every active plugin's observer; see :meth:`Dispatcher.observe`."""
        return self.dispatcher.observe(hook, **kwargs)

    async def gate(self, hook: str, **kwargs: Any) -> Any:
        """First non-None answer of a gate hook; a plugin's failing gate answers nothing."""
        return await self.dispatcher.gate(hook, **kwargs)

    def has_gate(self, hook: str) -> bool:
        return self.dispatcher.has(HookKind.GATE, hook)

    def collect(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """(plugin name, answer) of every serving plugin's collect hook; exceptions propagate."""
        answers = []
        for record in self.active():
            result = self.dispatcher.call_one(record, hook, **kwargs)
            if result is not None:
                answers.append((record.name, result))
        return answers

    def collect_isolated(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Like :meth:`collect`, but a plugin's exception is logged and handed back as its answer."""
        return list(self.dispatcher.collect_each(self.active(), hook, **kwargs))

    # --- queries ---------------------------------------------------------------------------

    def settings_for(self, name: str) -> Any:
        record = self.records.get(name)
        return record.settings if record else None

    def is_serving(self, name: str) -> bool:
        record = self.records.get(name)
        return bool(record and record.state.serving)

    def report(self) -> list[dict[str, Any]]:
        return [self.records[n].as_dict() for n in self.order]

    def document(self) -> dict[str, Any]:
        """Every plugin's record and the load order: the one shape of ``/api/v1/system/plugins``
        and ``plugins --json`` (here, not next to the route, so the CLI need not import FastAPI)."""
        return {
            "items": self.report(),
            "order": [name for name, _ in explain_order({n: r.requires for n, r in self.records.items()})],
        }
