"""Pointers into the docs from outside the site (the README, docstrings) name real files.

The site's own links are checked by `mkdocs build --strict` (in `make test`); the README and the
source code are outside it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
DOCS_PATH = re.compile(r"\bdocs/[\w./-]+\.md\b")


def test_every_relative_link_of_the_readme_exists() -> None:
    targets = [t for t in MARKDOWN_LINK.findall((ROOT / "README.md").read_text()) if "://" not in t]
    assert targets
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert missing == []


def test_the_readme_keeps_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert "make run" in text and "make test" in text
    assert len(text.splitlines()) <= 200


def test_every_docs_file_named_in_the_source_exists() -> None:
    named = {(path, match) for path in (ROOT / "src").rglob("*.py") for match in DOCS_PATH.findall(path.read_text())}
    assert named
    missing = sorted((str(path.relative_to(ROOT)), match) for path, match in named if not (ROOT / match).exists())
    assert missing == []
