"""The plugin manifest: ``plugin.toml`` in the plugin's package, read without importing it.

The kernel learns a plugin's name, requirements, URL prefixes, needed Python packages and
command-line commands from this file before (and without) running any of the plugin's code:
a disabled plugin, one whose dependencies are missing or one that fails to import still has
its real prefixes answer 503 with its reason, and ``modular-server --help`` lists its commands
without importing scikit-learn. The format is documented in ``docs/plugins/manifest.md``.

Only the standard library is imported here: reading a manifest must stay cheap.
"""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from dataclasses import dataclass, fields
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any

from modular_server.hooks.spec import PluginSpec

MANIFEST_FILE = "plugin.toml"

#: manifest keys that are lists of strings in the file and tuples on PluginSpec
_TUPLE_KEYS = frozenset({"requires", "prefixes", "python_packages", "audited_tables"})
_COMMAND_KEYS = frozenset({"name", "help", "target"})


class ManifestError(ValueError):
    """A ``plugin.toml`` that cannot be read or does not describe a plugin."""


@dataclass(frozen=True, slots=True)
class DeclaredCommand:
    """A ``modular-server`` subcommand named in the manifest.

    ``target`` is ``"module:attribute"``: the attribute is a :class:`CliCommand` (or a callable
    without arguments returning one); it is imported only when the command runs.
    """

    name: str
    help: str
    target: str


@dataclass(frozen=True, slots=True)
class Manifest:
    spec: PluginSpec
    commands: tuple[DeclaredCommand, ...] = ()
    #: where it was read from (for messages)
    origin: str = ""


def parse_manifest(text: str, origin: str = MANIFEST_FILE) -> Manifest:
    """The manifest in ``text``; :class:`ManifestError` names the problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{origin} is not valid TOML: {exc}") from exc
    commands = data.pop("commands", [])
    allowed = {f.name for f in fields(PluginSpec)}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ManifestError(f"{origin}: unknown keys {unknown} (known: {sorted(allowed | {'commands'})})")
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise ManifestError(f"{origin}: `name` (a string) is required")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in _TUPLE_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ManifestError(f"{origin}: `{key}` must be a list of strings")
            value = tuple(value)
        elif key == "contract":
            if not isinstance(value, int) or isinstance(value, bool):
                raise ManifestError(f"{origin}: `contract` must be an integer")
        elif not isinstance(value, str):
            raise ManifestError(f"{origin}: `{key}` must be a string")
        values[key] = value
    return Manifest(spec=PluginSpec(**values), commands=_commands(commands, origin), origin=origin)


def _commands(raw: Any, origin: str) -> tuple[DeclaredCommand, ...]:
    if not isinstance(raw, list):
        raise ManifestError(f"{origin}: `commands` must be an array of tables ([[commands]])")
    found = []
    for index, entry in enumerate(raw):
        where = f"{origin}: commands[{index}]"
        if not isinstance(entry, dict) or set(entry) != _COMMAND_KEYS:
            raise ManifestError(f"{where} needs exactly the keys {sorted(_COMMAND_KEYS)}")
        if not all(isinstance(v, str) and v for v in entry.values()):
            raise ManifestError(f"{where}: name, help and target must be non-empty strings")
        if entry["target"].count(":") != 1:
            raise ManifestError(f"{where}: target must read 'package.module:attribute'")
        found.append(DeclaredCommand(entry["name"], entry["help"], entry["target"]))
    return tuple(found)


def read_manifest(module: str) -> Manifest | None:
    """The manifest of the plugin package ``module``; None when it has none (or is a single
    module). Finds the package without executing it: only its parent packages are imported,
    as Python does to locate any submodule."""
    spec = _module_spec(module)
    if spec is None or spec.submodule_search_locations is None:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / MANIFEST_FILE
        if path.is_file():
            return parse_manifest(path.read_text(encoding="utf-8"), origin=f"{module}/{MANIFEST_FILE}")
    text = _packaged_text(spec)
    return None if text is None else parse_manifest(text, origin=f"{module}/{MANIFEST_FILE}")


def _packaged_text(spec: ModuleSpec) -> str | None:
    """The manifest through the package's resource reader (a package inside a zip file)."""
    reader_of = getattr(spec.loader, "get_resource_reader", None)
    try:
        files = reader_of(spec.name).files() if reader_of is not None else None
    except Exception:  # loaders that cannot read resources before the module is loaded
        return None
    path = files / MANIFEST_FILE if files is not None else None
    return path.read_text(encoding="utf-8") if path is not None and path.is_file() else None


def _module_spec(module: str) -> ModuleSpec | None:
    loaded = sys.modules.get(module)
    if loaded is not None:
        # importing it right now (PluginSpec.from_manifest in its __init__) or earlier
        return getattr(loaded, "__spec__", None)
    try:
        return importlib.util.find_spec(module)
    except Exception:  # a parent package failing to import: the plugin's import reports it
        return None
