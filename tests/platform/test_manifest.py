"""What a plugin declares in its plugin.toml is known without importing it, so the
real prefixes of a disabled, missing-dependency or broken plugin answer 503 with its reason."""

from __future__ import annotations

import importlib
import re
import sys

import pytest

from modular_server.core.sources import PluginSource, discover_entry_points
from modular_server.hooks.manifest import ManifestError, parse_manifest, read_manifest
from modular_server.plugin import PluginSpec
from modular_server.testing import running_app, sources_with

FIRST_PARTY = ("artikel", "chargen", "lager", "reservierungen", "cache", "monitoring", "notifications", "anomaly")
PREFIX = "tests.platform.manifested."
_PARAMETER = re.compile(r"\{[^}]+\}")


def _source(name: str) -> PluginSource:
    return PluginSource.from_module(PREFIX + name, name)


def _concrete(path: str) -> str:
    return _PARAMETER.sub("1", path)


async def _assert_unavailable(client, path: str, plugin: str, state: str, reason: str) -> None:
    answer = await client.get(path)
    assert answer.status_code == 503, (path, answer.status_code, answer.text)
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert (body["plugin"], body["state"]) == (plugin, state), (path, body)
    assert body["detail"] == f"plugin {plugin!r} is {state}: {reason}"


async def test_every_real_route_of_a_disabled_first_party_plugin_answers_503(make_app):
    async with make_app() as running:
        owner = running.app.state.route_owner
        routes: dict[str, set[str]] = {name: set() for name in FIRST_PARTY}
        for route in running.app.router.routes:
            plugin = owner.get(id(route))
            if plugin in routes and "GET" in (getattr(route, "methods", None) or ()):
                routes[plugin].add(_concrete(route.path))
    assert all(routes.values()), routes
    # lager's, anomaly's and monitoring's prefixes are not /api/v1/<name>: the examples
    assert {"/api/v1/lagerorte", "/api/v1/bestand", "/api/v1/bewegungen"} <= {
        "/".join(p.split("/")[:4]) for p in routes["lager"]
    }
    assert {"/metrics", "/db-performance"} <= routes["monitoring"]

    for name in FIRST_PARTY:
        async with make_app(disabled=[name]) as running:
            record = running.app.state.host.records[name]
            assert (record.state.value, record.obj) == ("disabled", None)
            for path in sorted(routes[name]):
                await _assert_unavailable(running.client, path, name, "disabled", "disabled by configuration")


async def test_a_disabled_plugin_reports_its_declared_spec(make_app):
    async with make_app(disabled=["lager"]) as running:
        (item,) = [i for i in running.app.state.host.report() if i["name"] == "lager"]
        assert item["state"] == "disabled"
        assert item["version"] == "0.1.0"
        assert item["requires"] == ["artikel", "chargen"]
        assert item["prefixes"] == ["/api/v1/lager", "/api/v1/lagerorte", "/api/v1/bestand", "/api/v1/bewegungen"]


async def test_a_missing_python_package_is_found_before_importing_the_plugin(make_app, monkeypatch):
    # sys.modules[name] = None makes an import name unimportable for this test
    monkeypatch.setitem(sys.modules, "sklearn", None)
    async with make_app() as running:
        record = running.app.state.host.records["anomaly"]
        assert record.state.value == "missing_dependency"
        assert record.reason == "missing Python packages: sklearn"
        assert record.hint == 'pip install "modular-server[anomaly]"'
        assert record.obj is None and "import" not in record.timings
        await _assert_unavailable(
            running.client, "/api/v1/anomalies", "anomaly", "missing_dependency", "missing Python packages: sklearn"
        )


async def test_a_plugin_that_fails_to_import_keeps_its_declared_prefixes(settings_factory):
    sources = [*sources_with([], discover=False), _source("crashing")]
    async with running_app(settings_factory(), sources) as running:
        record = running.app.state.host.records["crashing"]
        assert record.state.value == "import_error"
        for path in ("/api/v1/ausfall", "/api/v1/ausfall/7", "/ausfall-seite"):
            await _assert_unavailable(running.client, path, "crashing", "import_error", record.reason)
        assert (await running.client.get("/api/v1/crashing")).status_code == 404


async def test_a_plugin_declared_only_in_its_manifest_serves(settings_factory):
    sources = [*sources_with([], discover=False), _source("declared")]
    async with running_app(settings_factory(), sources) as running:
        record = running.app.state.host.records["declared"]
        assert record.state.value == "active", record.reason
        assert record.spec == PluginSpec(
            name="declared",
            version="2.0.0",
            description="declares everything in its manifest; no PLUGIN in the module",
            prefixes=("/api/v1/declared", "/declared-page"),
        )
        assert (await running.client.get("/declared-page")).json() == {"page": "declared"}


async def test_a_plugin_whose_module_contradicts_its_manifest_fails(settings_factory):
    sources = [*sources_with([], discover=False), _source("disagreeing"), _source("malformed")]
    async with running_app(settings_factory(), sources) as running:
        records = running.app.state.host.records
        assert records["disagreeing"].state.value == "import_error"
        assert records["disagreeing"].reason == "PLUGIN differs from plugin.toml in version, prefixes"
        assert records["malformed"].state.value == "import_error"
        assert records["malformed"].reason == (
            "tests.platform.manifested.malformed/plugin.toml: `prefixes` must be a list of strings"
        )
        # the manifest's prefix answers for the failed plugin, not the module's
        await _assert_unavailable(
            running.client, "/api/v1/disagreeing", "disagreeing", "import_error", records["disagreeing"].reason
        )


def test_every_first_party_plugin_declares_itself_in_its_manifest():
    found = {source.name: source for source in discover_entry_points()}
    for name in FIRST_PARTY:
        manifest = found[name].manifest
        assert manifest is not None, name
        assert manifest.spec == importlib.import_module(f"modular_server.plugins.{name}").PLUGIN
    declared = read_manifest("modular_server.plugins.lager")
    assert declared is not None
    assert [c.name for c in declared.commands] == ["demo-data", "lager"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = ", "is not valid TOML"),
        ('version = "1"', "`name` (a string) is required"),
        ('name = "x"\nprefix = ["/a"]', "unknown keys ['prefix']"),
        ('name = "x"\ncontract = "1"', "`contract` must be an integer"),
        ('name = "x"\n[[commands]]\nname = "c"\nhelp = "h"', "needs exactly the keys ['help', 'name', 'target']"),
        ('name = "x"\n[[commands]]\nname = "c"\nhelp = "h"\ntarget = "nocolon"', "target must read"),
    ],
)
def test_a_malformed_manifest_is_named(text: str, message: str) -> None:
    with pytest.raises(ManifestError, match=re.escape(message)):
        parse_manifest(text, origin="x/plugin.toml")
