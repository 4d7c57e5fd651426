"""``one_of(column, "ids")``: a column matched against a list bound at execution, in one SQL
text for every length of the list.

``column.in_(bindparam("ids", expanding=True))`` renders one placeholder per value each time
it runs: the SQL text changes with the list's length, so every execution rendered the list
(on PostgreSQL with a type cast per value: a fifth of SQLAlchemy's work in a booking) and
the driver prepared a statement per length. ``one_of`` binds the whole list as one value:
PostgreSQL compares with ``= ANY($1::INTEGER[])``, SQLite reads the list as JSON
(``IN (SELECT value FROM json_each(?))``). The statement compiles once and stays the same.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import BindParameter, Boolean, ColumnElement, Integer, String, TypeDecorator, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal

#: the column types whose values travel as such a list: JSON and PostgreSQL arrays carry them
#: exactly (a Decimal or a timestamp would need a conversion per value - bind those singly)
_LISTABLE = (Integer, String)


class _ValueList(TypeDecorator[list[Any]]):
    """A list of ``item_type`` values bound as one parameter: an array on PostgreSQL, JSON text elsewhere."""

    impl = String
    cache_ok = True

    def __init__(self, item_type: TypeEngine[Any]) -> None:
        super().__init__()
        self.item_type = item_type

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(self.item_type))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Collection[Any] | None, dialect: Dialect) -> Any:
        if value is None:
            raise TypeError("one_of: bind a list of values (empty matches nothing), not None")
        if isinstance(value, str | bytes):
            raise TypeError("one_of: bind a list of values, not a string")
        values = list(value)
        return values if dialect.name == "postgresql" else json.dumps(values)


class OneOf(ColumnElement[bool]):
    """``column`` equals one of the values bound under ``values``' name (see :func:`one_of`)."""

    inherit_cache = True
    type = Boolean()
    # a comparison already: SQLite must not get "... = 1" appended, as for a boolean column
    _is_implicitly_boolean = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], values: BindParameter[Any]) -> None:
        self.column = column
        self.values = values


@compiles(OneOf, "postgresql")
def _equals_any(element: OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY ({compiler.process(element.values, **kw)})"


@compiles(OneOf)
def _in_json_list(element: OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.values, **kw)
    return f"{column} IN (SELECT value FROM json_each({values}))"


def one_of(column: Any, name: str) -> OneOf:
    """A condition: ``column`` equals one of the values bound under ``name`` at execution
    (a list, set or tuple of integers or strings; empty matches nothing).

    ``select(t).where(one_of(t.c.id, "ids"))`` executed with ``{"ids": [3, 5, 8]}`` selects
    what ``t.c.id.in_([3, 5, 8])`` does, but the statement is the same whatever the list's
    length: build it once and it hits SQLAlchemy's compiled cache and the driver's prepared
    statements every time. ``column`` is a table column or a mapped attribute of type
    Integer or String."""
    element: ColumnElement[Any] = column.__clause_element__() if hasattr(column, "__clause_element__") else column
    if not isinstance(element.type, _LISTABLE):
        raise TypeError(f"one_of: {element} is {element.type!r}; only Integer and String columns are matched by a list")
    return OneOf(element, bindparam(name, type_=_ValueList(element.type)))
