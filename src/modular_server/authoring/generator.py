"""Render the plugin template (package data under ``templates/plugin``) into a new directory.

Template files end in ``.tmpl`` (so neither ruff nor pytest mistake them for this project's
code) and use :class:`string.Template` placeholders; ``PLUGIN_NAME`` in a path is replaced by
the plugin's name.
"""

from __future__ import annotations

import importlib.metadata
import keyword
import re
import sys
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

from modular_server import __version__
from modular_server.core.sources import ENTRY_POINT_GROUP

TEMPLATE_SUFFIX = ".tmpl"
PATH_PLACEHOLDER = "PLUGIN_NAME"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
#: a plugin name is also a table prefix, an env namespace and a version-table suffix: keep it short
MAX_NAME_LENGTH = 40


class PluginTemplateError(Exception):
    """The plugin cannot be generated (bad name, target exists); the message is one line."""


def validate_name(name: str) -> str:
    """``name`` when it is a lowercase Python identifier usable as a plugin name."""
    if not NAME_PATTERN.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
        raise PluginTemplateError(
            f"invalid plugin name {name!r}: use a lowercase Python identifier "
            f"(a-z, 0-9, _; starting with a letter; at most {MAX_NAME_LENGTH} characters)"
        )
    if keyword.iskeyword(name):
        raise PluginTemplateError(f"invalid plugin name {name!r}: it is a Python keyword")
    if name in sys.stdlib_module_names:
        raise PluginTemplateError(f"invalid plugin name {name!r}: its package would shadow the standard library's")
    return name


def refuse_installed(name: str) -> None:
    """A second plugin of the same name could never be active next to the installed one."""
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name == name:
            raise PluginTemplateError(
                f"a plugin named {name!r} is already installed ({entry_point.value}); choose another name"
            )


def _values(name: str) -> dict[str, str]:
    major, minor, *_ = __version__.split(".")
    return {
        "name": name,
        "Name": "".join(part.capitalize() for part in name.split("_")),
        "NAME": name.upper(),
        "dist": "modular-server-" + name.replace("_", "-"),
        "core_requirement": f"modular-server>={major}.{minor}",
        "core_requirement_testing": f"modular-server[testing]>={major}.{minor}",
    }


def _files(root: Traversable, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Traversable]]:
    found: list[tuple[tuple[str, ...], Traversable]] = []
    for entry in root.iterdir():
        if entry.is_dir():
            found.extend(_files(entry, (*prefix, entry.name)))
        elif entry.name.endswith(TEMPLATE_SUFFIX):
            found.append(((*prefix, entry.name), entry))
    return found


def generate_plugin(name: str, target: Path) -> list[Path]:
    """Write the plugin package ``name`` into ``target`` (which must not exist); the files written."""
    validate_name(name)
    refuse_installed(name)
    if target.exists():
        raise PluginTemplateError(f"{target} exists; choose another --dir or remove it first")
    values = _values(name)
    template_root = resources.files("modular_server.authoring") / "templates" / "plugin"
    written: list[Path] = []
    for parts, source in sorted(_files(template_root), key=lambda item: item[0]):
        relative = [part.replace(PATH_PLACEHOLDER, name) for part in parts]
        relative[-1] = relative[-1].removesuffix(TEMPLATE_SUFFIX)
        destination = target.joinpath(*relative)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(Template(source.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
        written.append(destination)
    return written
