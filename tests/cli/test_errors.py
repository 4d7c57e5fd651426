"""Failures a command cannot get past: one line on stderr, exit code 2, no traceback."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from modular_server.testing import BOTH
from tests.core.cli import clean_environment, run

ONLY_HELLO = '["hello"]'


def _one_line_error(result) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.mark.parametrize(
    "args",
    [
        ["db", "revision", "--plugin", "helo"],
        ["plugins", "graph", "helo"],
        ["plugins", "list", "helo"],
        ["plugins", "check", "helo"],
    ],
)
def test_an_unknown_plugin_name(database_url, tmp_path, args):
    line = _one_line_error(run(args, clean_environment(database_url, plugins__enabled=ONLY_HELLO), tmp_path))
    assert line.startswith("error: unknown plugin 'helo'; did you mean 'hello'? (installed plugins: ")


def test_a_revision_for_a_plugin_without_history_or_not_active(database_url, tmp_path):
    # cache keeps no tables of its own, so it has no migration history
    env = clean_environment(database_url, plugins__enabled='["cache"]')
    line = _one_line_error(run(["db", "revision", "--plugin", "cache"], env, tmp_path))
    assert line == (
        "error: plugin 'cache' has no migration history; return its versions folder from migration_locations"
    )
    line = _one_line_error(run(["db", "revision", "--plugin", "artikel"], env, tmp_path))
    assert line == "error: plugin 'artikel' is disabled: disabled by configuration"
    line = _one_line_error(run(["db", "revision"], env, tmp_path))
    assert line.startswith("error: db revision needs --plugin NAME")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "PLUGINS__DISABLED",
            "cache",
            'error: invalid setting: MODULAR_SERVER_PLUGINS__DISABLED must be a JSON list, e.g. ["cache"]',
        ),
        ("PORT", "eighty", "error: invalid setting: MODULAR_SERVER_PORT must be a whole number"),
        ("LOG_LEVEL", "loud", "error: invalid setting: MODULAR_SERVER_LOG_LEVEL must be one of debug, info, warning"),
        ("DATABASE_URL", "mysql://db", "error: invalid setting: MODULAR_SERVER_DATABASE_URL is invalid"),
    ],
)
def test_a_bad_core_setting_names_the_variable_and_the_format(database_url, tmp_path, variable, value, message):
    env = clean_environment(database_url)
    env[f"MODULAR_SERVER_{variable}"] = value
    for args in (["plugins"], ["--help"], ["db", "upgrade"]):
        assert _one_line_error(run(args, env, tmp_path)).startswith(message)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_missing_postgresql_database_says_how_to_create_it(database_url, tmp_path, backend):
    missing = make_url(database_url).set(database="ms_no_such_database").render_as_string(hide_password=False)
    for args in (["db", "upgrade"], ["plugins", "--check"], ["keys", "list"]):
        line = _one_line_error(run(args, clean_environment(missing, plugins__enabled="[]"), tmp_path))
        assert "the PostgreSQL database 'ms_no_such_database' does not exist" in line
        assert "`createdb ms_no_such_database`" in line and 'CREATE DATABASE "ms_no_such_database"' in line


@pytest.mark.parametrize("backend", BOTH, indirect=True)
def test_an_unreachable_database(tmp_path, backend):
    url = (
        "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"
        if backend == "postgresql"
        else f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'x.db'}"
    )
    line = _one_line_error(run(["db", "status"], clean_environment(url, plugins__enabled="[]"), tmp_path))
    expected = "cannot reach the database at" if backend == "postgresql" else "cannot open the SQLite database"
    assert expected in line


def test_a_configuration_file_that_is_not_toml(database_url, tmp_path):
    (tmp_path / "modular-server.toml").write_text("port = \n")
    line = _one_line_error(run(["plugins"], clean_environment(database_url), tmp_path))
    assert line.startswith("error: invalid setting: modular-server.toml is not valid TOML: Invalid value (at line 1")
