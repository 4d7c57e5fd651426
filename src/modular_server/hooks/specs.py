"""The plugin contract: every hook a plugin may implement, documented where it is declared.

A plugin is a module (or object) with a ``PLUGIN = PluginSpec(...)`` attribute and functions
decorated with ``@hookimpl`` whose names match the specs below. A hook implementation may take
any subset of the arguments a spec names. A misspelled hook name makes the plugin fail to load
(state ``setup_failed``, the reason names the hook).

Kinds of hooks
--------------
Each spec declares its kind with ``@spec(HookKind.…)`` (see :mod:`modular_server.hooks.kinds`);
the dispatcher builds its tables from that declaration. The fault model of each kind is in
``docs/plugins/isolation.md``; ``docs/plugins/hooks.md`` is checked against this module.

collect
    Called per plugin (at setup, or on demand such as ``health_checks``); each plugin's answer
    is kept with its name. An exception fails that plugin's setup (or that one answer).
isolated
    ``startup``/``shutdown``: may be ``async``; each runs under ``startup_timeout_seconds``, a
    synchronous one in a worker thread so it never blocks the event loop. A failing or
    overrunning startup turns that plugin ``setup_failed``; the others go on.
gate (firstresult)
    The first non-None answer wins; may be ``async``. An exception is logged and counted like
    an observer's failure and the next gate answers (a raising authenticator grants nothing).
observer
    Sync and cheap: called on the hot path. An exception is logged with the plugin's name and
    counted; after ``observer_failure_limit`` consecutive failures (of one hook, observer or
    gate) the plugin's observers and gates are switched off and it becomes ``degraded``. An
    observer that returns an awaitable has it run as a background task under
    ``observer_timeout_seconds``. Heavy work belongs on a queue. A plugin's observers are
    called once its ``startup`` has run (not during the migrations that precede it), so they
    may rely on what ``startup`` put into ``host.data``.

Every runtime hook receives ``app`` (the FastAPI application); a plugin keeps its state in
``app.state.host.data[plugin_name]`` (see :meth:`PluginHost.data`), never in module globals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from modular_server.hooks.kinds import HookKind, spec

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI
    from pydantic import BaseModel
    from starlette.datastructures import Headers

    from modular_server.hooks.cli import CliCommand
    from modular_server.hooks.context import (
        CachedResponse,
        Change,
        DomainEvent,
        Principal,
        QueryInfo,
        RequestContext,
        ResponseInfo,
    )
    from modular_server.hooks.health import HealthResult


# --- setup (collect) -----------------------------------------------------------------------


@spec(HookKind.COLLECT)
def plugin_settings() -> type[BaseModel] | None:
    """Return the pydantic model of this plugin's settings.

    Values come from ``MODULAR_SERVER_<NAME>__<FIELD>`` environment variables, the ``.env``
    file, and the ``[<name>]`` table of ``modular-server.toml`` (in that precedence). The
    validated instance is available as ``app.state.host.settings_for(name)``. A validation
    error makes the plugin ``invalid_config`` with pydantic's message.
    """


@spec(HookKind.COLLECT)
def register_models(settings: Any) -> Iterable[ModuleType]:
    """Return the modules that define this plugin's tables (on ``modular_server.core.database.Base``).

    The core records which tables each plugin owns; defining a table another plugin owns, or
    models that do not map (a broken relationship), fails the plugin with a reason, and what
    it mapped is removed again so the others are unaffected. ``settings`` is this plugin's
    validated settings instance (or None). Without this hook, a plugin package's ``models``
    module is registered (convention).
    """


@spec(HookKind.COLLECT)
def migration_locations(settings: Any) -> Path | None:
    """Return this plugin's Alembic ``versions`` folder.

    Each plugin has its own revision history (its own version table), applied after the
    histories of the plugins it requires. Indexes belong in these revisions. A revision that
    raises while the server starts makes this plugin ``setup_failed`` (the core's history
    failing stops the server). Without this hook, a plugin package's ``migrations/versions``
    folder is used (convention).
    """


@spec(HookKind.COLLECT)
def register_routes(settings: Any) -> Iterable[APIRouter]:
    """Return the routers of this plugin; every route path must start with a declared prefix.

    ``settings`` is this plugin's validated settings instance (or None). Without this hook, the
    ``router`` of a plugin package's ``routes`` module is registered (convention).
    """


@spec(HookKind.COLLECT)
def cli_commands() -> Iterable[CliCommand]:
    """Return extra ``modular-server`` subcommands."""


# --- life (isolated; health_checks: collect, on demand) -----------------------------------


@spec(HookKind.ISOLATED)
def startup(app: FastAPI, settings: Any) -> Awaitable[None] | None:
    """Acquire resources (connections, background tasks); may be async. Runs in dependency order."""


@spec(HookKind.ISOLATED)
def shutdown(app: FastAPI) -> Awaitable[None] | None:
    """Release what ``startup`` acquired; may be async. Runs in reverse dependency order."""


@spec(HookKind.COLLECT)
def health_checks(app: FastAPI) -> Mapping[str, Callable[[], Awaitable[HealthResult]]]:
    """Return named async checks reported by ``/health/ready``.

    Called on every readiness probe. Each check answers a :class:`HealthResult` within
    2 seconds; a check that raises, hangs or answers something else - or this hook raising or
    returning something other than a mapping - is reported as a failing check named after the
    plugin, and the other checks are unaffected.
    """


# --- request -------------------------------------------------------------------------------


@spec(HookKind.GATE)
def authenticate(app: FastAPI, headers: Headers) -> Principal | Awaitable[Principal | None] | None:
    """Gate: identify the caller of an ``/api`` request, or return None to let the next plugin try.

    The core's API-key authentication runs last, so a plugin can add OIDC/JWT in front of it.
    """


@spec(HookKind.GATE)
def lookup_response(
    app: FastAPI, ctx: RequestContext, headers: Headers
) -> CachedResponse | Awaitable[CachedResponse | None] | None:
    """Gate: answer the request without running its handler (the response cache).

    Called after authentication and routing, so ``ctx.route``, ``ctx.endpoint`` and
    ``ctx.principal`` are set; ``headers`` are the request's (``If-None-Match``,
    ``Cache-Control``). Set ``ctx.buffer_response = True`` to receive the whole body in
    ``before_response``.
    """


@spec(HookKind.OBSERVER)
def before_response(app: FastAPI, ctx: RequestContext, response: ResponseInfo) -> None:
    """Observer: the response is about to be sent; headers (and a buffered body) may be changed."""


@spec(HookKind.OBSERVER)
def request_finished(app: FastAPI, ctx: RequestContext, response: ResponseInfo) -> None:
    """Observer: the response has been sent (timings, query statistics, storing in a cache)."""


# --- query and data ------------------------------------------------------------------------


@spec(HookKind.OBSERVER)
def query_executed(app: FastAPI, ctx: RequestContext | None, query: QueryInfo) -> None:
    """Observer: one SQL statement ran. ``ctx`` is None outside a request."""


@spec(HookKind.OBSERVER)
def changes_committed(app: FastAPI, changes: list[Change]) -> Awaitable[None] | None:
    """Observer: a transaction committed these row changes (never called after a rollback).

    An awaitable returned here is awaited by :meth:`Database.transaction` before it returns
    (bounded by ``observer_timeout_seconds``): work that must precede the acknowledgement of
    the write - such as invalidating a cache shared by other processes - belongs there.
    Anything slower belongs on a queue.
    """


@spec(HookKind.OBSERVER)
def event_published(app: FastAPI, event: DomainEvent) -> None:
    """Observer: a domain event, delivered after the transaction that raised it committed."""
