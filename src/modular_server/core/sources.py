"""Where plugins come from: entry points (the normal way) or objects handed in by tests."""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any

from packaging.requirements import Requirement

from modular_server.hooks.manifest import Manifest, ManifestError, read_manifest
from modular_server.hooks.markers import ENTRY_POINT_GROUP


@dataclass(frozen=True, slots=True)
class PluginSource:
    """A plugin before it is imported: its name, how to load it, what it needs installed."""

    name: str
    load: Callable[[], Any]
    requirements: tuple[str, ...] = ()
    origin: str = ""
    extras: tuple[str, ...] = field(default=())
    #: the import name of the plugin's module ("" when unknown): tells a missing third-party
    #: package from a broken plugin when its import fails
    module: str = ""
    #: False: installed but left out by a selection (the test harness's ``only=``); the kernel
    #: records it as disabled, "not selected", and never imports it
    selected: bool = True
    #: the plugin's ``plugin.toml``, read without importing it (None: it has none)
    manifest: Manifest | None = None
    #: why its ``plugin.toml`` could not be read ("" when it could, or there is none)
    manifest_error: str = ""

    def deselected(self) -> PluginSource:
        return replace(self, selected=False)

    @classmethod
    def from_object(cls, obj: Any, name: str | None = None) -> PluginSource:
        spec = getattr(obj, "PLUGIN", None)
        resolved = name or getattr(spec, "name", None)
        if not resolved:
            raise ValueError("a plugin object needs PLUGIN = PluginSpec(name=...) or an explicit name")
        module = obj.__name__ if isinstance(obj, ModuleType) else type(obj).__module__
        return cls(name=resolved, load=lambda: obj, origin=f"object {getattr(obj, '__name__', obj)!r}", module=module)

    @classmethod
    def from_module(cls, module: str, name: str, requirements: Iterable[str] = ()) -> PluginSource:
        return cls(
            name=name,
            load=lambda: importlib.import_module(module),
            requirements=tuple(requirements),
            origin=module,
            module=module,
            **_manifest_of(module),
        )

    @classmethod
    def from_entry_point(cls, entry_point: metadata.EntryPoint) -> PluginSource:
        dist = entry_point.dist
        extras = tuple(entry_point.extras)
        requirements: list[str] = []
        if dist is not None and extras:
            for raw in dist.requires or ():
                req = Requirement(raw)
                if req.marker is not None and any(req.marker.evaluate({"extra": e}) for e in extras):
                    requirements.append(f"{req.name}{req.specifier}")
        origin = f"{dist.metadata['Name'] if dist else '?'}: {entry_point.value}"
        return cls(
            name=entry_point.name,
            load=entry_point.load,
            requirements=tuple(requirements),
            origin=origin,
            extras=extras,
            module=entry_point.module,
            **_manifest_of(entry_point.module),
        )


def _manifest_of(module: str) -> dict[str, Any]:
    """The ``manifest``/``manifest_error`` fields of a source for the package ``module``."""
    try:
        return {"manifest": read_manifest(module)}
    except (ManifestError, OSError, UnicodeDecodeError) as exc:
        return {"manifest_error": str(exc)}


def discover_entry_points() -> list[PluginSource]:
    """Every plugin registered under the entry-point group, sorted by name."""
    found = metadata.entry_points(group=ENTRY_POINT_GROUP)
    return sorted((PluginSource.from_entry_point(ep) for ep in found), key=lambda s: s.name)


def missing_requirements(requirements: Iterable[str]) -> list[str]:
    """Requirements (distribution specs) not satisfied by what is installed."""
    missing = []
    for raw in requirements:
        req = Requirement(raw)
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            missing.append(raw)
            continue
        if req.specifier and not req.specifier.contains(installed, prereleases=True):
            missing.append(f"{raw} (installed: {installed})")
    return missing


def missing_modules(names: Iterable[str]) -> list[str]:
    """Import names that cannot be imported (absent, or blocked with sys.modules[name] = None)."""
    missing = []
    for name in names:
        top = name.split(".")[0]
        if top in sys.modules and sys.modules[top] is None:
            missing.append(name)
            continue
        try:
            found = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            found = None
        if found is None:
            missing.append(name)
    return missing
