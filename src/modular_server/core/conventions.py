"""Conventions of a plugin *package* (less boilerplate): where its models, routes and
migrations are found when it does not name them with a hook. An explicit hook always wins;
the loader asks these only for a hook the plugin does not implement."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

MODELS_MODULE = "models"
ROUTES_MODULE = "routes"
#: the attribute of the routes module that holds the plugin's APIRouter
ROUTER_ATTRIBUTE = "router"
VERSIONS_FOLDER = ("migrations", "versions")


def package_folder(obj: Any) -> Path | None:
    paths = getattr(obj, "__path__", None) if isinstance(obj, ModuleType) else None
    return Path(next(iter(paths))) if paths else None


def submodule(obj: Any, name: str) -> ModuleType | None:
    """``<package>.<name>`` of a plugin package, imported; None when it has none."""
    if package_folder(obj) is None:
        return None
    qualified = f"{obj.__name__}.{name}"
    if importlib.util.find_spec(qualified) is None:
        return None
    return importlib.import_module(qualified)


def migrations_folder(obj: Any) -> Path | None:
    """``<package>/migrations/versions`` when the plugin is a package that has one."""
    folder = package_folder(obj)
    versions = folder.joinpath(*VERSIONS_FOLDER) if folder is not None else None
    return versions if versions is not None and versions.is_dir() else None
