"""Loading plugins: sources -> records with a state each.

Pipeline per plugin (after Home Assistant): selection -> manifest (``plugin.toml``, read
without importing) -> requirements -> import -> spec/contract -> dependency graph -> register
hooks (typo check) -> settings -> models -> routes. One plugin's failure never stops the others; every outcome is a
:class:`PluginRecord` with a state, reason and hint. ``startup`` runs later (the host's
lifecycle); migrations run in between (the migrator).

A plugin *package* without an implementation of ``register_models`` / ``register_routes``
/ ``migration_locations`` gets its models, routes and migrations by convention
(:mod:`modular_server.core.conventions`); an explicit implementation always wins. When the
setup fails, what the plugin mapped is rolled back (:mod:`modular_server.core.mapping`).
"""

from __future__ import annotations

import difflib
import logging
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.exc import InvalidRequestError

from modular_server.core import conventions
from modular_server.core.diagnosis import describe_import_failure
from modular_server.core.dispatch import HOOK_KINDS, Dispatcher
from modular_server.core.graph import find_cycle, topological_order
from modular_server.core.mapping import roll_back, take_snapshot
from modular_server.core.sources import PluginSource, missing_modules, missing_requirements
from modular_server.core.states import PluginRecord, PluginState
from modular_server.hooks.markers import CONTRACT_VERSION
from modular_server.hooks.spec import PluginSpec
from modular_server.settings import Settings, load_plugin_settings

log = logging.getLogger("modular_server.plugins")

_DUPLICATE_TABLE = re.compile(r"Table '([^']+)' is already defined")
#: the reason of a plugin left out by a selection (the test harness's ``only=``)
NOT_SELECTED = "not selected"


class PluginSetupError(Exception):
    """A plugin's setup step failed for a reason the kernel can name (with a fix)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class PluginLoader:
    """Turns plugin sources into records: the state machine up to (not including) startup."""

    def __init__(
        self,
        settings: Settings,
        pm: pluggy.PluginManager,
        records: dict[str, PluginRecord],
        table_owner: dict[str, str],
        dispatcher: Dispatcher,
        *,
        routes: bool = True,
    ) -> None:
        self.settings = settings
        #: False: the plugins' routers are neither imported nor checked (command-line tools that
        #: never serve a request start faster; `plugins --check` and `serve` load them)
        self.routes = routes
        self.pm = pm
        self.records = records
        self.table_owner = table_owner
        self.dispatcher = dispatcher
        self.order: list[str] = []

    def load(self, sources: Iterable[PluginSource]) -> None:
        for source in sources:
            if source.name in self.records:
                dup = PluginRecord(source=source)
                dup.fail(
                    PluginState.IMPORT_ERROR,
                    f"duplicate plugin name {source.name!r} (also from {self.records[source.name].source.origin})",
                    "uninstall one of the two distributions, or rename one plugin",
                )
                self.records[f"{source.name}#{len(self.records)}"] = dup
                continue
            self.records[source.name] = self._import(source)
        self._resolve_graph()
        for name in self.order:
            record = self.records[name]
            if record.state is PluginState.ACTIVE:
                self.skip_if_requirement_inactive(record)
            if record.state is PluginState.ACTIVE:
                self._setup(record)

    # --- import ----------------------------------------------------------------------------

    def _import(self, source: PluginSource) -> PluginRecord:
        # what the manifest declares is known before (and without) importing: a plugin that is
        # never imported still answers 503 under its real prefixes and shows its requirements
        declared = source.manifest.spec if source.manifest is not None else None
        record = PluginRecord(source=source, spec=declared)
        if source.selected is False:
            record.fail(PluginState.DISABLED, NOT_SELECTED, f"select {source.name!r} to load it")
            return record
        if not self.settings.plugins.allows(source.name):
            record.fail(
                PluginState.DISABLED,
                "disabled by configuration",
                f"remove {source.name!r} from plugins.disabled / add it to plugins.enabled",
            )
            return record
        if source.manifest_error:
            record.fail(PluginState.IMPORT_ERROR, source.manifest_error, "fix the plugin's plugin.toml")
            return record
        if declared is not None and (problem := self._check_spec(record, declared)):
            record.fail(*problem)
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
        with self.phase(record, "import"):
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
                record.fail(*describe_import_failure(source, exc))
                return record
        spec = getattr(obj, "PLUGIN", declared)
        if not isinstance(spec, PluginSpec):
            record.fail(
                PluginState.IMPORT_ERROR,
                "the plugin object has no PLUGIN = PluginSpec(...)",
                "declare PLUGIN = PluginSpec(name=...) in the plugin module, or a plugin.toml in its package",
            )
            return record
        record.obj, record.spec = obj, spec
        if declared is not None and spec != declared:
            differing = [f.name for f in fields(PluginSpec) if getattr(spec, f.name) != getattr(declared, f.name)]
            record.spec = declared  # what the kernel told before importing stays what it tells
            record.fail(
                PluginState.IMPORT_ERROR,
                f"PLUGIN differs from plugin.toml in {', '.join(differing)}",
                "declare the plugin once: PLUGIN = PluginSpec.from_manifest(__name__)",
            )
        elif problem := self._check_spec(record, spec):
            record.fail(*problem)
        return record

    @staticmethod
    def _check_spec(record: PluginRecord, spec: PluginSpec) -> tuple[PluginState, str, str] | None:
        """Name, contract and Python packages of ``spec`` (declared or imported): the failure
        ``(state, reason, hint)``, or None when the plugin can go on."""
        if spec.name != record.name:
            return (
                PluginState.IMPORT_ERROR,
                f"entry point {record.name!r} loads plugin named {spec.name!r}",
                "make both names equal",
            )
        if spec.contract != CONTRACT_VERSION:
            newer = spec.contract > CONTRACT_VERSION
            return (
                PluginState.SETUP_FAILED,
                f"written for plugin contract {spec.contract}; this server implements contract {CONTRACT_VERSION}",
                "upgrade modular-server to a version implementing contract "
                f"{spec.contract}, or install an older version of the plugin"
                if newer
                else "install a version of the plugin made for this server",
            )
        if missing := missing_modules(spec.python_packages):
            return (
                PluginState.MISSING_DEPENDENCY,
                f"missing Python packages: {', '.join(missing)}",
                spec.install_hint or f"pip install {' '.join(missing)}",
            )
        return None

    # --- graph -----------------------------------------------------------------------------

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
        self.order[:] = topological_order(everyone)
        # names left out of the order stand on a cycle; keep them, sorted, for reporting
        self.order += sorted(set(everyone) - set(self.order))

    def skip_if_requirement_inactive(self, record: PluginRecord) -> None:
        for dep in record.requires:
            other = self.records.get(dep)
            if other is None:
                record.fail(
                    PluginState.SKIPPED,
                    f"requires plugin {dep!r}, which is not installed",
                    f"install the plugin {dep!r}",
                )
                return
            if other.state is PluginState.DISABLED:
                record.fail(
                    PluginState.SKIPPED,
                    f"requires plugin {dep!r}, which is installed but not enabled ({other.reason})",
                    other.hint or f"enable {dep!r}",
                )
                return
            if not other.state.serving:
                record.fail(
                    PluginState.SKIPPED,
                    f"requires plugin {dep!r}, which is {other.state.value}: {other.reason}",
                    other.hint or f"make {dep!r} active",
                )
                return

    # --- setup -----------------------------------------------------------------------------

    def _setup(self, record: PluginRecord) -> None:
        with self.phase(record, "register"):
            if not self._register(record):
                return
        with self.phase(record, "config"):
            model = self.dispatcher.call_one(record, "plugin_settings")
            if model is not None:
                try:
                    record.settings = load_plugin_settings(model, self.settings, record.name)
                except ValidationError as exc:
                    self.unregister(
                        record,
                        PluginState.INVALID_CONFIG,
                        _validation_text(exc),
                        f"fix MODULAR_SERVER_{record.name.upper()}__* or the [{record.name}] table",
                    )
                    return
        # the core's own tables are mapped first (a plugin's model may refer to them); the
        # models module, not the database layer: listing plugins needs no engine nor FastAPI
        from modular_server.core.models import Base

        with self.phase(record, "setup"):
            # whatever fails from here on, what the plugin mapped is removed again
            before = take_snapshot(Base)
            modules: list[ModuleType] = []
            try:
                modules = self._model_modules(record)
                self._own_tables(record, modules)
                record.migrations = self._migrations_of(record)
                routers = self._routers_of(record) if self.routes else []
                self._check_prefixes(record, routers)
                record.routers = routers
            except Exception as exc:  # plugin code: report, never crash the server
                dropped = roll_back(Base, before, [m.__name__ for m in modules], record.source.module)
                log.info("plugin %s: models rolled back (modules dropped: %s)", record.name, ", ".join(dropped) or "-")
                record.tables = ()
                if isinstance(exc, PluginSetupError):
                    self.unregister(record, PluginState.SETUP_FAILED, str(exc), exc.hint)
                    return
                log.exception("plugin %s failed during setup", record.name)
                self.unregister(
                    record,
                    PluginState.SETUP_FAILED,
                    f"{type(exc).__name__}: {exc}",
                    f"see the log for the traceback of the setup of {record.name!r}",
                )

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
                close = difflib.get_close_matches(caller.name, list(HOOK_KINDS), n=1)
                hint = f"did you mean {close[0]!r}?" if close else "see modular_server.hooks.specs for the hook names"
                self.unregister(record, PluginState.SETUP_FAILED, f"implements unknown hook {caller.name!r}", hint)
                return False
            hooks.append(caller.name)
        record.hooks = tuple(sorted(hooks))
        return True

    def unregister(self, record: PluginRecord, state: PluginState, reason: str, hint: str = "") -> None:
        """Fail ``record``: its hooks are no longer called, its tables are no longer its."""
        record.fail(state, reason, hint)
        if record.obj is not None and self.pm.is_registered(record.obj):
            self.pm.unregister(record.obj)
        for table, owner in list(self.table_owner.items()):
            if owner == record.name:
                del self.table_owner[table]
        self.cascade_skips()

    def cascade_skips(self) -> None:
        for name in self.order:
            record = self.records[name]
            if record.state.serving and record.obj is not None:
                before = record.state
                self.skip_if_requirement_inactive(record)
                if record.state is not before and self.pm.is_registered(record.obj):
                    self.pm.unregister(record.obj)

    # --- models, migrations, routes --------------------------------------------------------

    def _own_tables(self, record: PluginRecord, modules: list[ModuleType]) -> None:
        """Record the tables of ``modules`` as ``record``'s; configure the mappers now, so a
        broken relationship fails this plugin and not a later one."""
        from modular_server.core.models import Base

        tables = set(_tables_of(modules, Base.registry.mappers))
        for table in sorted(tables):
            owner = self.table_owner.get(table)
            if owner and owner != record.name:
                raise PluginSetupError(
                    f"table {table!r} is already owned by plugin {owner!r}; plugin {record.name!r} defines it too",
                    "a table has exactly one owning plugin: reuse it through requires",
                )
        try:
            Base.registry.configure()
        except InvalidRequestError as exc:
            raise PluginSetupError(
                f"its models do not configure: {exc}",
                "fix the relationship or mapping named above (every related class must be mapped)",
            ) from exc
        for table in tables:
            self.table_owner[table] = record.name
        record.tables = tuple(sorted(tables))

    def _model_modules(self, record: PluginRecord) -> list[ModuleType]:
        try:
            if self.dispatcher.implements(record, "register_models"):
                return list(self.dispatcher.call_one(record, "register_models", settings=record.settings) or ())
            conventional = conventions.submodule(record.obj, conventions.MODELS_MODULE)
            return [conventional] if conventional is not None else []
        except InvalidRequestError as exc:
            match = _DUPLICATE_TABLE.search(str(exc))
            if not match:
                raise PluginSetupError(
                    f"its models do not map: {exc}", "fix the mapped classes of the plugin's models"
                ) from exc
            table = match.group(1)
            owner = self.table_owner.get(table, "another plugin")
            raise PluginSetupError(
                f"table {table!r} is already defined by plugin {owner!r}; plugin {record.name!r} defines it again",
                "a table has exactly one owning plugin: reuse it through requires",
            ) from exc

    def _migrations_of(self, record: PluginRecord) -> Path | None:
        if self.dispatcher.implements(record, "migration_locations"):
            location = self.dispatcher.call_one(record, "migration_locations", settings=record.settings)
            return Path(location) if location else None
        return conventions.migrations_folder(record.obj)

    def _routers_of(self, record: PluginRecord) -> list[Any]:
        if self.dispatcher.implements(record, "register_routes"):
            return list(self.dispatcher.call_one(record, "register_routes", settings=record.settings) or ())
        routes = conventions.submodule(record.obj, conventions.ROUTES_MODULE)
        if routes is None:
            return []
        router = getattr(routes, conventions.ROUTER_ATTRIBUTE, None)
        if router is None:
            raise PluginSetupError(
                f"{routes.__name__} has no `router`",
                "name the module's APIRouter `router`, or implement register_routes",
            )
        return [router]

    @staticmethod
    def _check_prefixes(record: PluginRecord, routers: Sequence[Any]) -> None:
        declared = record.spec.prefixes if record.spec else ()
        for router in routers:
            for route in router.routes:
                path = getattr(route, "path", None)
                if path is None:
                    raise PluginSetupError(
                        "a router includes another router; nested routers are not mounted",
                        "return every router from register_routes instead of include_router",
                    )
                if not any(path == p or path.startswith(p.rstrip("/") + "/") for p in declared):
                    raise PluginSetupError(
                        f"route {path!r} lies outside the declared prefixes {list(declared)}",
                        "add the prefix to PluginSpec.prefixes",
                    )

    @staticmethod
    @contextmanager
    def phase(record: PluginRecord, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            record.timings[phase] = record.timings.get(phase, 0.0) + time.perf_counter() - started


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
