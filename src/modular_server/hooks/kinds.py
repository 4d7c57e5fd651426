"""How the kernel dispatches each hook: its kind, declared next to the hook's spec.

``@spec(HookKind.OBSERVER)`` on a function in :mod:`modular_server.hooks.specs` makes it a
pluggy hookspec *and* records its kind on it; the dispatcher builds its tables from these
declarations (see :func:`kinds_of`), so a new hook cannot be dispatched the wrong way.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from types import ModuleType
from typing import Any, TypeVar

from modular_server.hooks.markers import PROJECT_NAME, hookspec

_F = TypeVar("_F", bound=Callable[..., Any])
KIND_ATTRIBUTE = f"{PROJECT_NAME}_kind"


class HookKind(StrEnum):
    #: called per plugin (at setup, or on demand); each answer is kept with the plugin's name
    COLLECT = "collect"
    #: ``startup``/``shutdown``: run once per plugin under a deadline, off the event loop if sync
    ISOLATED = "isolated"
    #: at request time; the first non-None answer wins; a failure counts and the next gate answers
    GATE = "gate"
    #: on the hot path; failures are counted and switch the plugin's observers off
    OBSERVER = "observer"


def spec(kind: HookKind) -> Callable[[_F], _F]:
    """Declare a hook of ``kind`` (gates are pluggy ``firstresult`` specs)."""

    def declare(function: _F) -> _F:
        setattr(function, KIND_ATTRIBUTE, kind)
        return hookspec(firstresult=kind is HookKind.GATE)(function)

    return declare


def kind_of(function: Any) -> HookKind | None:
    return getattr(function, KIND_ATTRIBUTE, None)


def kinds_of(module: ModuleType) -> dict[str, HookKind]:
    """Every hookspec in ``module`` with its declared kind (raises for a spec without one)."""
    found: dict[str, HookKind] = {}
    for name, value in vars(module).items():
        if not callable(value) or not hasattr(value, f"{PROJECT_NAME}_spec"):
            continue
        kind = kind_of(value)
        if kind is None:
            raise TypeError(f"hookspec {name!r} declares no kind; decorate it with @spec(HookKind...)")
        found[name] = kind
    return found
