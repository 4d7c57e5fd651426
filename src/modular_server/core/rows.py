"""List pages from plain rows: a joined object's columns travel labelled ``<key>__<name>`` and
are nested back under ``<key>`` before the page is validated in one call (or, rows of our
own database, answered without validating them again: ``JsonAnswer``).

Building an ORM object (identity map, instrumented state) per row cost as much as the rest of
a list request; plain rows plus one pydantic validation of the whole page do the same work in
its compiled core.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Executable, Label, Row
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.core.direct import DIRECT_READS, DirectReads


async def plain_rows(
    session: AsyncSession, statement: Executable, parameters: Mapping[str, Any] | None = None
) -> list[Row[Any]]:
    """The rows of a select of plain columns, executed on the session's connection: the ORM's
    per-execution work (entity loading, compile state) is skipped - it found no entities in
    such a select and cost a tenth of a list request. For reads: pending ORM changes of the
    session are not flushed first, as ``session.execute`` would.

    On PostgreSQL a statement read again (built once, values bound per call) is read straight
    from the driver, with the same rows, events and transaction (:mod:`modular_server.core.direct`)."""
    connection = await session.connection()
    direct: DirectReads | None = session.sync_session.info.get(DIRECT_READS)
    if direct is not None:
        rows = await direct.rows(connection, statement, parameters or {})
        if rows is not None:
            return rows
    result = await connection.execute(statement, parameters)
    if direct is not None:
        direct.learn(statement, list(result.keys()))
    return list(result.all())


def labelled(entity: Any, key: str, names: Sequence[str]) -> list[Label[Any]]:
    """``entity``'s columns ``names`` as ``<key>__<name>`` (``<key>_id`` may be a column already)."""
    return [getattr(entity, name).label(f"{key}__{name}") for name in names]


def nested(row: Row[Any], **joined: Sequence[str]) -> dict[str, Any]:
    """The row as a dict with each ``joined`` key's labelled columns moved into a dict of its own."""
    return nested_rows([row], **joined)[0]


def nested_rows(rows: Sequence[Row[Any]], **joined: Sequence[str]) -> list[dict[str, Any]]:
    """:func:`nested` for every row of a result. Keys keep the columns' order, each ``joined``
    key taking the place of its first labelled column: select the columns in the response
    model's order and the dicts carry its fields in that order. The layout is worked out once
    per shape of result and applied by position (building each row's mapping by name cost more
    than the rest of the page)."""
    if not rows:
        return []
    # plain str: Core results name columns with str subclasses (quoted_name), which JSON
    # serialisers such as orjson refuse as keys
    fields = tuple(str(field) for field in rows[0]._fields)
    build = _row_builder(fields, tuple((key, tuple(names)) for key, names in joined.items()))
    return [build(row) for row in rows]


@functools.lru_cache(maxsize=512)
def _row_builder(
    fields: tuple[str, ...], joined: tuple[tuple[str, tuple[str, ...]], ...]
) -> Callable[[Any], dict[str, Any]]:
    """A function turning one row of this layout into its dict: a dict display with constant
    keys and positional reads, compiled once per layout (a generic loop over the layout, with a
    type check per column, was a sixth of an artikel list request). Keys are column labels,
    written as string literals (``repr``) - never code."""
    owner = {f"{key}__{name}": key for key, names in joined for name in names}
    names_of = dict(joined)
    entries: list[str] = []
    placed: set[str] = set()
    for index, field in enumerate(fields):
        key = owner.get(field)
        if key is None:
            entries.append(f"{field!r}: row[{index}]")
        elif key not in placed:
            placed.add(key)
            inner = ", ".join(f"{name!r}: row[{fields.index(f'{key}__{name}')}]" for name in names_of[key])
            entries.append(f"{key!r}: {{{inner}}}")
    source = f"lambda row: {{{', '.join(entries)}}}"
    return eval(compile(source, "<nested_rows>", "eval"), {"__builtins__": {}})
