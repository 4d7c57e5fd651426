"""List pages from plain rows: a joined object's columns travel labelled ``<key>__<name>`` and
are nested back under ``<key>`` before the page is validated in one call.

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
    values = dict(row._mapping)
    for key, names in joined.items():
        values[key] = {name: values.pop(f"{key}__{name}") for name in names}
    return values
