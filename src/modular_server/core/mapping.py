"""Undoing what a plugin's models did to the shared declarative registry when they fail.

Every plugin maps its classes on the one ``Base``; a plugin whose models fail to map (a table
another plugin owns, a broken relationship, a mapper that does not configure) would otherwise
leave half-made classes behind in ``Base.registry`` and tables in ``Base.metadata``, and the
next ``configure_mappers()`` - by any plugin, at any time - would fail on them. Before a plugin
maps anything the loader takes a :class:`MappingSnapshot`; on failure it calls
:func:`roll_back`, which disposes every mapper, class-registry entry and table added since and
drops the plugin's model modules from ``sys.modules`` (so a retry imports them afresh).

SQLAlchemy has no public "unmap one class" call (``registry.dispose`` drops every mapper of
the registry); this mirrors what ``dispose`` does per class, with the same private helpers.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import clsregistry


@dataclass(frozen=True, slots=True)
class MappingSnapshot:
    managers: frozenset[Any]
    classes: frozenset[type]
    tables: frozenset[str]
    modules: frozenset[str]


def _registered_classes(registry: Any) -> set[type]:
    found: set[type] = set()
    for value in list(registry._class_registry.values()):
        if isinstance(value, type):
            found.add(value)
        elif isinstance(value, clsregistry._MultipleClassMarker):
            found.update(cls for cls in (ref() for ref in value.contents) if cls is not None)
    return found


def take_snapshot(base: Any) -> MappingSnapshot:
    registry = base.registry
    return MappingSnapshot(
        managers=frozenset(registry._managers),
        classes=frozenset(_registered_classes(registry)),
        tables=frozenset(base.metadata.tables),
        modules=frozenset(sys.modules),
    )


def roll_back(base: Any, before: MappingSnapshot, modules: Iterable[str] = (), package: str = "") -> list[str]:
    """Remove what was mapped since ``before``; returns the modules dropped from sys.modules:
    ``modules``, those of the removed classes, and those of ``package`` imported since (its
    routes module refers to the removed classes)."""
    registry = base.registry
    touched: set[str] = set(modules)
    if package:
        touched.update(n for n in sys.modules if n.startswith(package + ".") and n not in before.modules)
    for manager in [m for m in list(registry._managers) if m not in before.managers]:
        touched.add(manager.class_.__module__)
        registry._managers.pop(manager, None)
        registry._dispose_manager_and_mapper(manager)
    for cls in _registered_classes(registry) - before.classes:
        touched.add(cls.__module__)
        clsregistry._remove_class(cls.__name__, cls, registry._class_registry)
    for name in [t for t in base.metadata.tables if t not in before.tables]:
        base.metadata.remove(base.metadata.tables[name])
    # mappers left unconfigured by the failure must not make the next configure() fail
    registry._new_mappers = any(not m.configured for m in registry.mappers)
    dropped = sorted(name for name in touched if name in sys.modules and name not in before.modules)
    for name in dropped:
        module = sys.modules.pop(name)
        # `from package import models` finds the attribute before sys.modules: drop both
        parent_name, _, child = name.rpartition(".")
        parent = sys.modules.get(parent_name)
        if parent is not None and getattr(parent, child, None) is module:
            delattr(parent, child)
    return dropped
