"""Tags: the names under which cached responses are filed and committed changes evict them.

A cached response carries

* its policy's tag templates resolved from the path parameters (``charge:{charge_id}`` on
  ``/chargen/5`` -> ``charge:5``; numeric values are written canonically, so ``/chargen/05``
  is filed under ``charge:5`` too), and for each such ``<prefix>:<value>`` tag also
  ``<prefix>:*``;
* ``table:<name>`` for every table in its policy's ``tables``;
* ``*`` (every entry: how "clear" works in Redis).

A committed row change of table ``t`` evicts

* ``table:t`` (so every list or view built from ``t`` goes, inserts included);
* ``<prefix(t)>:<pk>`` - the row itself (``charge:5``);
* one ``<prefix>:<value>`` per foreign-key value of the row, the prefix being that of the
  referenced table (a ``bestand`` row with ``charge_id=5, artikel_id=3`` evicts ``charge:5``
  and ``artikel:3``): a detail is evicted by its row and by the rows that hang off it.

A bulk change (``pk`` None: a Core statement not reported row by row) cannot say which rows it
touched, so it evicts ``table:t`` and ``<prefix>:*`` for ``t``'s own prefix and every prefix
its foreign keys point to.

Row-tag prefixes default to the table name; ``Table.info["cache_tag"]`` or the
``table_tags`` setting rename them (``lagerbewegung`` -> ``bewegung``). FK prefixes default to
the referenced table's prefix; ``Column.info["cache_tag"]`` or the ``fk_tags`` setting
(column name -> prefix, ``""`` for none) override them. Plugins therefore declare nothing but
their models and their ``@cached`` policies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import MetaData

from modular_server.plugin import Change
from modular_server.plugins.cache.settings import CacheSettings

ALL = "*"


def table_tag(table: str) -> str:
    return f"table:{table}"


def wildcard_of(tag: str) -> str | None:
    """``charge:5`` -> ``charge:*``; None for a tag without a value part."""
    prefix, sep, _value = tag.partition(":")
    return f"{prefix}:*" if sep and prefix != "table" else None


def canonical(value: Any) -> str:
    """Numeric path and key values written one way: ``05`` and ``5`` are the same row."""
    text = str(value)
    try:
        return str(int(text))
    except ValueError:
        return text


class TagRules:
    """Turns committed changes into tags, from the models' metadata and the settings."""

    def __init__(self, metadata: MetaData, settings: CacheSettings) -> None:
        self._prefix: dict[str, str] = {}
        for table in metadata.tables.values():
            self._prefix[table.name] = settings.table_tags.get(table.name) or table.info.get("cache_tag") or table.name
        self._fk: dict[tuple[str, str], str] = {}
        self._fk_prefixes: dict[str, tuple[str, ...]] = {}
        for table in metadata.tables.values():
            for column in table.columns:
                for fk in column.foreign_keys:
                    target = fk.target_fullname.rsplit(".", 1)[0].rsplit(".", 1)[-1]
                    default = column.info.get("cache_tag", self.prefix_of(target))
                    self._fk[(table.name, column.key)] = settings.fk_tags.get(column.key, default)
            self._fk_prefixes[table.name] = tuple(
                sorted({p for (t, _c), p in self._fk.items() if t == table.name and p})
            )
        self._fk_overrides = dict(settings.fk_tags)

    def prefix_of(self, table: str) -> str:
        return self._prefix.get(table, table)

    def fk_prefix(self, table: str, column: str) -> str:
        found = self._fk.get((table, column))
        if found is not None:
            return found
        if column in self._fk_overrides:
            return self._fk_overrides[column]
        # a related value the metadata does not know as FK (reported by note_change): charge_id -> charge
        if column.endswith("_id") and column[:-3] in self._prefix:
            return self.prefix_of(column[:-3])
        return ""

    def for_changes(self, changes: Iterable[Change]) -> set[str]:
        tags: set[str] = set()
        for change in changes:
            tags.add(table_tag(change.table))
            prefix = self.prefix_of(change.table)
            if change.pk is None:
                tags.add(f"{prefix}:*")
                tags.update(f"{p}:*" for p in self._fk_prefixes.get(change.table, ()))
                continue
            tags.add(f"{prefix}:{','.join(canonical(v) for v in change.pk)}")
            for column, value in change.related.items():
                if value is not None and (related := self.fk_prefix(change.table, column)):
                    tags.add(f"{related}:{canonical(value)}")
        return tags


def resolve(templates: Iterable[str], params: Mapping[str, Any]) -> list[str] | None:
    """The policy's tags for these path parameters (None when a template names a missing one)."""
    values = {name: canonical(value) for name, value in params.items()}
    resolved = []
    for template in templates:
        try:
            resolved.append(template.format_map(values) if "{" in template else template)
        except (KeyError, IndexError, ValueError):
            return None
    return resolved
