"""``nested_rows``: labelled columns of joined objects nested back under their key, in the
columns' order (the response model's), for every shape of layout."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Row, create_engine, literal, select

from modular_server.core.rows import nested, nested_rows


def result(columns: dict[str, list[Any]]) -> list[Row[Any]]:
    """Real Core rows (an in-memory SQLite select of literals, one per row)."""
    engine = create_engine("sqlite://")
    count = len(next(iter(columns.values())))
    with engine.connect() as connection:
        return [
            connection.execute(select(*(literal(values[i]).label(name) for name, values in columns.items()))).one()
            for i in range(count)
        ]


def by_name(row: Row[Any], **joined: list[str]) -> dict[str, Any]:
    """The reference: the row's mapping by name, each joined key in place of its first column."""
    out: dict[str, Any] = {}
    for field, value in row._mapping.items():
        key, _, name = field.partition("__")
        if name and key in joined:
            out.setdefault(key, {})[name] = value
        else:
            out[field] = value
    return out


@pytest.mark.parametrize(
    ("columns", "joined"),
    [
        # flat only, a single column
        ({"id": [1, 2]}, {}),
        # a joined object in the middle takes the place of its first column
        (
            {"id": [1, 2], "artikel__id": [7, 8], "artikel__name": ["a", "b"], "menge": ["1.5", "2"]},
            {"artikel": ["id", "name"]},
        ),
        # joined objects first and last, one of a single column; a flat column alone between them
        (
            {"ort__code": ["L1", "L2"], "id": [3, 4], "einheit__id": [5, None]},
            {"ort": ["code"], "einheit": ["id"]},
        ),
        # only a joined object
        ({"artikel__id": [1], "artikel__nummer": ["A-1"]}, {"artikel": ["id", "nummer"]}),
    ],
)
def test_rows_are_nested_in_column_order(columns: dict[str, list[Any]], joined: dict[str, list[str]]) -> None:
    rows = result(columns)
    pages = nested_rows(rows, **joined)
    assert pages == [by_name(row, **joined) for row in rows]
    # the order of keys is what the JSON answer carries
    assert [list(page) for page in pages] == [list(by_name(row, **joined)) for row in rows]
    assert all(type(key) is str for page in pages for key in page)  # orjson refuses str subclasses
    assert nested(rows[0], **joined) == pages[0]


def test_a_joined_object_is_nested_in_the_order_given_not_the_columns() -> None:
    rows = result({"id": [1], "artikel__name": ["a"], "artikel__id": [7]})
    assert list(nested_rows(rows, artikel=["id", "name"])[0]["artikel"]) == ["id", "name"]


def test_no_rows() -> None:
    assert nested_rows([], artikel=["id"]) == []
