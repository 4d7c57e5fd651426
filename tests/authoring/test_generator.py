"""``modular-server plugins new``: names are checked, nothing is overwritten, and the generated
package uses the public API only and is lint-clean."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from modular_server.authoring import PluginTemplateError, generate_plugin
from modular_server.cli import main

PUBLIC_MODULES = {"modular_server.plugin", "modular_server.testing"}
RUFF = Path(sys.executable).with_name("ruff")


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_generates_a_complete_package(tmp_path, capsys):
    target = tmp_path / "kit_sample"
    assert main(["plugins", "new", "kit_sample", "--dir", str(target)]) == 0
    written = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert written == [
        "README.md",
        "pyproject.toml",
        "src/kit_sample/__init__.py",
        "src/kit_sample/health.py",
        "src/kit_sample/migrations/versions/kit_sample_0001_items.py",
        "src/kit_sample/models.py",
        "src/kit_sample/routes.py",
        "src/kit_sample/schemas.py",
        "src/kit_sample/settings.py",
        "tests/test_kit_sample.py",
    ]
    assert f"wrote plugin 'kit_sample' to {target}" in capsys.readouterr().out
    pyproject = (target / "pyproject.toml").read_text()
    assert '[project.entry-points."modular_server.plugins"]\nkit_sample = "kit_sample"' in pyproject
    assert 'name = "modular-server-kit-sample"' in pyproject
    assert "[tool.pytest" not in pyproject, "the pytest plugin configures itself"
    migration = (target / "src/kit_sample/migrations/versions/kit_sample_0001_items.py").read_text()
    assert 'revision: str = "kit_sample_0001"' in migration
    assert 'branch_labels: str | Sequence[str] | None = ("kit_sample",)' in migration
    assert "SecretStr" in (target / "src/kit_sample/settings.py").read_text()


def test_the_default_directory_is_named_after_the_distribution(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["plugins", "new", "kunden_portal"]) == 0
    assert (tmp_path / "modular-server-kunden-portal" / "src" / "kunden_portal" / "routes.py").is_file()


def test_generated_code_imports_only_the_public_api(tmp_path):
    generate_plugin("kit_sample", tmp_path / "p")
    for path in (tmp_path / "p").rglob("*.py"):
        ours = {m for m in _imported_modules(path) if m.split(".")[0] == "modular_server"}
        assert ours <= PUBLIC_MODULES, f"{path.name} imports {ours - PUBLIC_MODULES}"


def test_generated_code_is_lint_and_format_clean(tmp_path):
    target = tmp_path / "p"
    generate_plugin("lager_extra", target)
    for command in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        result = subprocess.run([str(RUFF), *command], cwd=target, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "name", ["Lieferanten", "kit-sample", "1st", "_private", "class", "a" * 41, "", "süd", "x y", "json"]
)
def test_a_bad_name_is_a_one_line_error_with_exit_code_2(name, tmp_path, capsys):
    target = tmp_path / "out"
    assert main(["plugins", "new", name, "--dir", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: invalid plugin name {name!r}")
    assert err.count("\n") == 1
    assert not target.exists()


def test_the_name_of_an_installed_plugin_is_refused(tmp_path, capsys):
    assert main(["plugins", "new", "artikel", "--dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: a plugin named 'artikel' is already installed (modular_server.plugins.artikel); choose another name\n"
    )
    assert not (tmp_path / "out").exists()


def test_an_existing_directory_is_never_overwritten(tmp_path, capsys):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    assert main(["plugins", "new", "kit_sample", "--dir", str(target)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {target} exists; choose another --dir or remove it first\n"
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    with pytest.raises(PluginTemplateError):
        generate_plugin("kit_sample", target)


def test_the_command_needs_no_configuration(tmp_path):
    # a broken core setting must not stop a plugin author from generating a package
    env = {"PATH": "/usr/bin:/bin", "MODULAR_SERVER_PLUGINS__DISABLED": "not-json"}
    result = subprocess.run(
        [sys.executable, "-m", "modular_server", "plugins", "new", "kit_sample", "--dir", str(tmp_path / "p")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "p" / "pyproject.toml").is_file()


def test_plugins_help_names_the_new_command(capsys):
    with pytest.raises(SystemExit):
        main(["plugins", "--help"])
    assert "new       generate a new plugin package" in capsys.readouterr().out


def test_the_command_also_runs_after_global_options(tmp_path):
    # `--debug plugins new ...` goes through the parser (with settings) instead of the shortcut
    assert main(["--debug", "plugins", "new", "kit_sample", "--dir", str(tmp_path / "p")]) == 0
    assert (tmp_path / "p" / "src" / "kit_sample" / "models.py").is_file()
