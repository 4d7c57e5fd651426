"""What a plugin may use of the plugin host at runtime, typed: its own runtime object, any
plugin's settings, and whether another plugin is serving.

The host itself (:class:`modular_server.core.plugins.PluginHost`) is internal; plugins see it
through :class:`PluginHostView` only.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import HTTPConnection

    from modular_server.core.database import Database

T = TypeVar("T")


class PluginHostView(Protocol):
    """The part of the plugin host a plugin may rely on."""

    #: each plugin's runtime object under its name; a plugin sets its own in ``startup`` and
    #: removes it in ``shutdown`` (another plugin reads it only through a documented offer)
    data: dict[str, Any]

    def settings_for(self, name: str) -> Any:
        """The validated settings of plugin ``name`` (its ``plugin_settings`` model)."""
        ...

    def is_serving(self, name: str) -> bool:
        """Whether plugin ``name`` is loaded and serving requests right now."""
        ...

    def background(
        self,
        coroutine: Coroutine[Any, Any, Any],
        *,
        name: str | None = None,
        context: contextvars.Context | None = None,
        until_stopped: bool = False,
    ) -> asyncio.Task[Any]:
        """Run ``coroutine`` as a task the host owns: at shutdown, after the plugins' ``shutdown``
        hooks, one that runs ``until_stopped`` (a loop) is cancelled, any other is given a
        moment to finish and then cancelled. :class:`Periodic` given a ``host`` uses this."""
        ...


def _app_of(owner: Starlette | HTTPConnection) -> Starlette:
    """The app itself, or the app serving a request (its ASGI scope names it). Told apart by
    the scope, not by ``isinstance``: plugins import this module when the kernel reads them,
    and reading them must not import the web framework."""
    scope = getattr(owner, "scope", None)
    return cast("Starlette", scope["app"] if scope is not None else owner)


def host_of(owner: Starlette | HTTPConnection) -> PluginHostView:
    """The plugin host of an app, or of the app serving a request."""
    return cast(PluginHostView, _app_of(owner).state.host)


def runtime_of(owner: Starlette | HTTPConnection, name: str, kind: type[T]) -> T:
    """Plugin ``name``'s runtime object (``host.data[name]``), checked to be a ``kind``.

    Raises LookupError while the plugin has none (not started, or stopped).
    """
    found = host_of(owner).data.get(name)
    if not isinstance(found, kind):
        raise LookupError(f"plugin {name!r} has no runtime object of type {kind.__name__} (not started?)")
    return found


def settings_of(owner: Starlette | HTTPConnection, name: str, kind: type[T]) -> T:
    """Plugin ``name``'s settings, checked to be a ``kind``."""
    found = host_of(owner).settings_for(name)
    if not isinstance(found, kind):
        raise LookupError(f"plugin {name!r} has no settings of type {kind.__name__}")
    return found


def database_of(owner: Starlette | HTTPConnection) -> Database:
    """The app's :class:`Database`, for work outside a request (startup, background jobs,
    health checks); inside a route, take ``ReadSession`` or ``DatabaseDep`` instead."""
    return cast("Database", _app_of(owner).state.db)
