"""docs/cli-reference.md is generated from the argparse parser; it must not drift from it."""

from __future__ import annotations

import argparse
from pathlib import Path

from modular_server.cli import COMMANDS, build_parser
from modular_server.cli.reference import render

CLI_REFERENCE_MD = Path(__file__).parents[2] / "docs" / "cli-reference.md"


def test_the_cli_reference_is_generated_from_the_parser() -> None:
    assert CLI_REFERENCE_MD.read_text() == render(), (
        "docs/cli-reference.md is stale: python -m modular_server.cli.reference > docs/cli-reference.md"
    )


def test_every_core_command_and_option_is_listed() -> None:
    text = CLI_REFERENCE_MD.read_text()
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name in COMMANDS:
        assert f"## `{name}`" in text
        for action in sub.choices[name]._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}`" in text, (name, option)
    assert "`--workers` `WORKERS`" in text
