"""Installing the fixture plugins as a third party ships them: a package and a ``.dist-info``
with entry points, in a folder the ``modular-server`` subprocess finds on its path."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.core.cli import clean_environment

FIXTURES = Path(__file__).parent / "thirdparty" / "ms_cli_fixtures"

#: entry-point name -> object reference (optionally with ``[extras]``)
PLUGINS = {
    "fixture_ok": "ms_cli_fixtures.healthy",
    "fixture_startup_raises": "ms_cli_fixtures.startup_raises",
    "fixture_startup_slow": "ms_cli_fixtures.startup_slow",
    "fixture_import_markup": "ms_cli_fixtures.import_markup",
    "fixture_cycle_a": "ms_cli_fixtures.cycle_a",
    "fixture_cycle_b": "ms_cli_fixtures.cycle_b",
    "fixture_cli_hook": "ms_cli_fixtures.cli_hook_raises",
    "fixture_cli_bad": "ms_cli_fixtures.cli_configure_raises",
    "fixture_stamped": "ms_cli_fixtures.stamped",
    "fixture_bad_migration": "ms_cli_fixtures.bad_migration",
    # needs a package of its extra that is not installed: hint `pip install "modular-server[fancy]"`
    "fixture_needs_extra": "ms_cli_fixtures.healthy [fancy]",
}


def install(site: Path, names: list[str]) -> Path:
    """Copy the fixture package into ``site`` and declare the entry points of ``names``."""
    shutil.copytree(FIXTURES, site / "ms_cli_fixtures")
    dist = site / "ms_cli_fixtures-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: ms-cli-fixtures\nVersion: 1.0\nProvides-Extra: fancy\n"
        'Requires-Dist: ms-cli-not-installed-xyz; extra == "fancy"\n'
    )
    lines = [f"{name} = {PLUGINS[name]}" for name in names]
    (dist / "entry_points.txt").write_text("[modular_server.plugins]\n" + "\n".join(lines) + "\n")
    return site


def environment(database_url: str, site: Path, names: list[str], **settings: str) -> dict[str, str]:
    """Only the named fixture plugins enabled, found through PYTHONPATH like an installed package."""
    env = clean_environment(database_url, plugins__enabled=_json_list(names), **settings)
    env["PYTHONPATH"] = str(site)
    return env


def _json_list(names: list[str]) -> str:
    return "[" + ", ".join(f'"{n}"' for n in names) + "]"
