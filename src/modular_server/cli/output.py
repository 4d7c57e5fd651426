"""Printing for people and machines: literal text, no truncation when piped, JSON.

Plugin reasons, hints and names are data, not markup: every piece of text that did not come
from this package reaches rich as a :class:`rich.text.Text` (or escaped), so brackets such as
``modular-server[anomaly]`` or ``[/etc/x.toml]`` print as written.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # imported where used: `--help` and one-line errors print without loading rich
    from rich.console import Console
    from rich.text import Text

#: piped output is never cut or wrapped: a line as long as its text
_UNLIMITED_WIDTH = 100_000


class CliError(Exception):
    """A failure the command reports as one line on stderr (no traceback)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def console() -> Console:
    """A console that never interprets emoji codes nor cuts lines when stdout is not a terminal."""
    from rich.console import Console

    out = Console(emoji=False, highlight=False)
    if not out.is_terminal:
        out = Console(emoji=False, highlight=False, width=_UNLIMITED_WIDTH, soft_wrap=True)
    return out


def literal(text: str, style: str = "") -> Text:
    """Text printed exactly as written (never parsed as markup)."""
    from rich.text import Text

    return Text(text, style=style)


def line(*parts: str | tuple[str, str]) -> Text:
    """One line from plain parts and (text, style) parts; none of them is parsed as markup."""
    from rich.text import Text

    return Text.assemble(*parts)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=_json_value))


def _json_value(value: Any) -> str:
    # datetimes as RFC 3339, like the API answers them
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def warning(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)
