"""List pages from plain rows: a joined object's columns travel labelled ``<key>__<name>`` and
are nested back under ``<key>`` before the page is validated in one call (or, rows of our
own database, answered without validating them again: ``JsonAnswer``).

Building an ORM object (identity map, instrumented state) per row cost as much as the rest of
a list request; plain rows plus one pydantic validation of the whole page do the same work in
its compiled core.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Label, Row


def labelled(entity: Any, key: str, names: Sequence[str]) -> list[Label[Any]]:
    """``entity``'s columns ``names`` as ``<key>__<name>`` (``<key>_id`` may be a column already)."""
    return [getattr(entity, name).label(f"{key}__{name}") for name in names]


def nested(row: Row[Any], **joined: Sequence[str]) -> dict[str, Any]:
    """The row as a dict with each ``joined`` key's labelled columns moved into a dict of its own."""
    return nested_rows([row], **joined)[0]


def nested_rows(rows: Sequence[Row[Any]], **joined: Sequence[str]) -> list[dict[str, Any]]:
    """:func:`nested` for every row of a result: the plain columns in their order, then each
    ``joined`` key. The layout is worked out once from the first row and applied by position
    (building each row's mapping by name cost more than the rest of the page)."""
    if not rows:
        return []
    fields = rows[0]._fields
    moved = {f"{key}__{name}" for key, names in joined.items() for name in names}
    plain = [(name, index) for index, name in enumerate(fields) if name not in moved]
    inner = [(key, [(name, fields.index(f"{key}__{name}")) for name in names]) for key, names in joined.items()]
    pages = []
    for row in rows:
        values = {name: row[index] for name, index in plain}
        for key, columns in inner:
            values[key] = {name: row[index] for name, index in columns}
        pages.append(values)
    return pages
