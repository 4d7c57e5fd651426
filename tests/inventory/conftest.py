"""Shared fixtures of the inventory tests (artikel, chargen, lager, reservierungen).

Keep this small and additive: several plugins' tests use it. Helpers that are not fixtures
live in ``tests/inventory/support.py`` and ``tests/support``.
"""

from __future__ import annotations

import pytest

from tests.support.rows import InsertRows
from tests.support.rows import insert_rows as insert_through_the_database


@pytest.fixture
def insert_rows() -> InsertRows:
    """``await insert_rows(running, "bestand", [{...}, ...])`` -> the new ids, in order (one
    multi-row INSERT through the app's own database: :func:`tests.support.rows.insert_rows`)."""
    return insert_through_the_database
