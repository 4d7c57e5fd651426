"""What import-linter cannot say: a first-party plugin imports another plugin only through the
``offers`` module of a plugin named in its ``PluginSpec.requires`` (read from the source by ast)."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import modular_server.plugins

PLUGINS_DIR = Path(modular_server.plugins.__path__[0])
PREFIX = "modular_server.plugins."
INTERNAL = ("modular_server.core", "modular_server.settings", "modular_server.hooks", "modular_server.cli")
FIRST_PARTY = sorted(p.name for p in PLUGINS_DIR.iterdir() if (p / "__init__.py").is_file())


def imported_modules(source: str) -> Iterator[tuple[int, str]]:
    """Every module an import statement names; ``from <plugin package> import x`` names its submodule x."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            package = node.module == PREFIX.rstrip(".") or (
                node.module.startswith(PREFIX) and "." not in node.module.removeprefix(PREFIX)
            )
            if package:
                for alias in node.names:
                    yield node.lineno, f"{node.module}.{alias.name}"
            else:
                yield node.lineno, node.module


def violations(plugin: str, requires: tuple[str, ...], source: str) -> list[str]:
    found = []
    for line, module in imported_modules(source):
        if module.startswith(INTERNAL):
            found.append(f"line {line}: {module} is internal; use modular_server.plugin")
        if not module.startswith(PREFIX):
            continue
        other, _, rest = module.removeprefix(PREFIX).partition(".")
        if other == plugin:
            continue
        if other not in requires:
            found.append(f"line {line}: {module} belongs to {other}, which {plugin} does not require")
        elif rest.split(".")[0] != "offers":
            found.append(f"line {line}: {module} is internal to {other}; use {other}.offers")
    return found


def test_the_check_finds_each_kind_of_violation():
    source = (
        "from modular_server.plugins.artikel.models import Artikel\n"
        "from modular_server.plugins.lager import offers\n"
        "from modular_server.core.errors import Conflict\n"
        "from modular_server.plugins.artikel.offers import get_artikel\n"
        "from modular_server.plugins.chargen import models\n"
    )
    found = violations("chargen", ("artikel",), source)
    assert found == [
        "line 1: modular_server.plugins.artikel.models is internal to artikel; use artikel.offers",
        "line 2: modular_server.plugins.lager.offers belongs to lager, which chargen does not require",
        "line 3: modular_server.core.errors is internal; use modular_server.plugin",
    ]


@pytest.mark.parametrize("name", FIRST_PARTY)
def test_plugin_imports_only_the_offers_of_what_it_requires(name):
    spec = importlib.import_module(PREFIX + name).PLUGIN
    assert spec.name == name
    found = {
        str(path.relative_to(PLUGINS_DIR)): problems
        for path in sorted((PLUGINS_DIR / name).rglob("*.py"))
        if (problems := violations(name, spec.requires, path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_every_domain_plugin_that_others_require_has_offers():
    required = {r for name in FIRST_PARTY for r in importlib.import_module(PREFIX + name).PLUGIN.requires}
    assert required == {"artikel", "chargen", "lager"}
    for name in required:
        offers = importlib.import_module(f"{PREFIX}{name}.offers")
        assert offers.__doc__ and offers.__all__, name
        for exported in offers.__all__:
            value = getattr(offers, exported)
            # offers hand out functions, plain data and Core tables - never mapped classes
            assert not hasattr(value, "__mapper__"), f"{name}.offers.{exported} is a mapped model"
