"""Commands contributed by plugins: one failing never breaks `--help` or the other commands."""

from __future__ import annotations

from tests.cli.support import environment, install
from tests.core.cli import run

PLUGINS = ["fixture_ok", "fixture_cli_hook", "fixture_cli_bad"]


def test_a_broken_contribution_is_left_out_with_a_warning_naming_its_plugin(database_url, tmp_path):
    env = environment(database_url, install(tmp_path / "site", PLUGINS), PLUGINS)
    helped = run(["--help"], env, tmp_path)
    assert helped.returncode == 0, helped.stderr
    assert "fixture-hello" in helped.stdout and "fixture-explode" in helped.stdout
    assert "fixture-broken" not in helped.stdout
    assert "Traceback" not in helped.stderr
    warnings = [line for line in helped.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: plugin 'fixture_cli_hook': its commands are left out: cli_commands failed: "
        "RuntimeError: commands unavailable",
        "warning: plugin 'fixture_cli_bad': command 'db' is left out: the name is already taken",
        "warning: plugin 'fixture_cli_bad': command 'fixture-broken' is left out: configure failed: "
        "ValueError: bad option table",
    ]

    hello = run(["fixture-hello", "--who", "Lager"], env, tmp_path)
    assert (hello.returncode, hello.stdout.strip()) == (0, "hello Lager")
    # the core's `db` is still the core's
    assert run(["db", "status"], env, tmp_path).stdout.startswith("core")


def test_a_plugin_command_that_raises_is_a_clean_error_naming_its_plugin(database_url, tmp_path):
    env = environment(database_url, install(tmp_path / "site", PLUGINS), PLUGINS)
    failed = run(["fixture-explode"], env, tmp_path)
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    assert failed.stderr.splitlines()[-1] == (
        "error: plugin 'fixture_cli_bad': command 'fixture-explode' failed: RuntimeError: kaboom [red]x[/red] "
        "(run with --debug for the traceback)"
    )

    debugged = run(["--debug", "fixture-explode"], env, tmp_path)
    assert debugged.returncode == 1
    assert "Traceback (most recent call last)" in debugged.stderr
    assert 'raise RuntimeError("kaboom [red]x[/red]")' in debugged.stderr
