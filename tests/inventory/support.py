"""Helpers of the inventory tests (artikel, chargen, lager, reservierungen)."""

from __future__ import annotations


def read_statements(backend: str, selects: int) -> int:
    """Statements a read request with ``selects`` queries sends: SQLite's session also sends its
    explicit BEGIN as a statement (the core takes BEGIN over from the driver), PostgreSQL's does not."""
    return selects + (1 if backend == "sqlite" else 0)
