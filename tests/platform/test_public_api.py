"""modular_server.plugin: exactly the documented names, each importable; deprecated names warn."""

from __future__ import annotations

import importlib
import re
import warnings
from pathlib import Path
from types import MappingProxyType

import pytest

from modular_server import plugin

DOC = Path(__file__).parents[2] / "docs" / "plugins" / "public-api.md"
#: a documented name: the first cell of a table row of the "The names" section
DOCUMENTED = re.compile(r"^\| `(\w+)` \|", re.M)


def _documented_names() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## The names", 1)[1].split("\n## ", 1)[0]
    return DOCUMENTED.findall(section)


def test_all_is_exactly_the_documented_set():
    documented = _documented_names()
    assert len(documented) == len(set(documented)), "a name is documented twice"
    assert sorted(plugin.__all__) == sorted(documented)


def test_every_documented_name_imports_and_has_one_line_of_docs():
    module = importlib.import_module("modular_server.plugin")
    for name in plugin.__all__:
        assert getattr(module, name) is not None, name
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = DOCUMENTED.match(line)
        if match and match.group(1) in plugin.__all__:
            description = line.split("|")[2].strip()
            assert len(description) > 10, f"{match.group(1)} has no description"
    namespace: dict[str, object] = {}
    exec("from modular_server.plugin import *", namespace)
    assert set(plugin.__all__) <= set(namespace)


def test_every_public_name_is_resolved_lazily_from_where_it_lives():
    # each name of __all__ has an origin (imported on first use); nothing else is resolved
    assert set(plugin._ORIGINS) | set(plugin._RENAMED) < set(plugin.__all__)
    hooks = importlib.import_module(plugin._CONTRACT)
    for name in set(plugin.__all__) - set(plugin._ORIGINS) - set(plugin._RENAMED):
        assert name in hooks.__all__, f"{name} has no origin"
    assert set(plugin.__all__) <= set(dir(plugin))
    assert plugin.ServerSettings is importlib.import_module("modular_server.settings").Settings
    assert plugin.IdempotencyKey is importlib.import_module("modular_server.core.idempotency").IdempotencyKey


def test_the_stability_promise_is_written_down():
    text = DOC.read_text(encoding="utf-8")
    assert "## Stability promise" in text
    assert "one minor version in which it still works and\n  warns" in text


def test_a_deprecated_name_warns_and_resolves_to_its_replacement(monkeypatch):
    renamed = MappingProxyType({"PageOfItems": plugin.Deprecated("Page", "0.2.0")})
    monkeypatch.setattr(plugin, "DEPRECATED", renamed)
    with pytest.warns(DeprecationWarning, match=r"PageOfItems is deprecated .* removed in 0\.2\.0; use .*\.Page$"):
        assert plugin.PageOfItems is plugin.Page  # type: ignore[attr-defined]
    with pytest.warns(DeprecationWarning, match="PageOfItems"):
        from modular_server.plugin import PageOfItems  # type: ignore[attr-defined]
    assert PageOfItems is plugin.Page
    assert "PageOfItems" not in plugin.__all__


def test_current_names_do_not_warn_and_unknown_names_fail():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plugin.Page is not None
    with pytest.raises(AttributeError, match="no attribute 'NoSuchName'"):
        _ = plugin.NoSuchName  # type: ignore[attr-defined]
    with pytest.raises(ImportError):
        exec("from modular_server.plugin import NoSuchName", {})


def test_every_deprecated_name_points_at_a_current_one():
    for old, entry in plugin.DEPRECATED.items():
        assert old not in plugin.__all__ and entry.replacement in plugin.__all__, old
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry.removed_in), old
