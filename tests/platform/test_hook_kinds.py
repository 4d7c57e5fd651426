"""Every hook declares its kind beside its spec, the dispatcher is built from it, and
the hook reference in docs/ is generated from the specs."""

from __future__ import annotations

import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from modular_server.core.dispatch import HOOK_KINDS
from modular_server.core.plugins import PluginHost
from modular_server.core.sources import PluginSource
from modular_server.hooks import PluginSpec, hookimpl, hookspec, specs
from modular_server.hooks.kinds import HookKind, kind_of, kinds_of
from modular_server.hooks.reference import render
from modular_server.settings import Settings

HOOKS_MD = Path(__file__).parents[2] / "docs" / "plugins" / "hooks.md"


def test_every_spec_declares_a_kind():
    declared = {name for name, value in vars(specs).items() if hasattr(value, "modular_server_spec")}
    assert declared and set(HOOK_KINDS) == declared
    for name in declared:
        assert isinstance(kind_of(getattr(specs, name)), HookKind), name
    # gates are firstresult; nothing else is
    for name, kind in HOOK_KINDS.items():
        assert getattr(specs, name).modular_server_spec["firstresult"] is (kind is HookKind.GATE), name


def test_a_spec_without_a_kind_is_refused():
    module = ModuleType("undeclared_specs")

    @hookspec
    def forgotten() -> None: ...

    module.forgotten = forgotten  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="hookspec 'forgotten' declares no kind"):
        kinds_of(module)


class EveryRuntimeHook:
    """Implements every observer and gate hook; records which ones the dispatcher calls."""

    PLUGIN = PluginSpec(name="every_hook")

    def __init__(self) -> None:
        self.called: list[str] = []
        for name, kind in HOOK_KINDS.items():
            if kind in (HookKind.OBSERVER, HookKind.GATE):
                setattr(self, name, hookimpl(self._recorder(name)))

    def _recorder(self, name: str) -> Any:
        def record() -> None:
            self.called.append(name)

        record.__name__ = name
        return record


async def test_the_dispatcher_builds_its_tables_from_the_declared_kinds(tmp_path: Path):
    plugin = EveryRuntimeHook()
    host = PluginHost(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"))
    host.load([PluginSource.from_object(plugin)])
    host.records["every_hook"].started = True
    host.rebuild_dispatch()
    for kind in (HookKind.OBSERVER, HookKind.GATE):
        expected = {name for name, declared in HOOK_KINDS.items() if declared is kind}
        table = host.dispatcher.table(kind)
        assert set(table) == expected
        assert all(len(table[name]) == 1 for name in expected)
    for name, kind in HOOK_KINDS.items():
        arguments = dict.fromkeys(inspect.signature(getattr(specs, name)).parameters)
        if kind is HookKind.OBSERVER:
            host.observe(name, **arguments)
        elif kind is HookKind.GATE:
            assert await host.gate(name, **arguments) is None
    assert sorted(plugin.called) == sorted(n for n, k in HOOK_KINDS.items() if k in (HookKind.OBSERVER, HookKind.GATE))


def test_the_hook_reference_is_generated_from_the_specs():
    assert HOOKS_MD.read_text() == render(), (
        "docs/plugins/hooks.md is stale: python -m modular_server.hooks.reference > docs/plugins/hooks.md"
    )
    text = HOOKS_MD.read_text()
    for name, kind in HOOK_KINDS.items():
        section = text.split(f"## `{name}`\n", 1)[1]
        assert section.lstrip().startswith(f"Kind: **{kind.value}**"), name
