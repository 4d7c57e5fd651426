"""The tag scheme that ties cached responses to committed changes.

An entry carries its policy's tags resolved from path parameters (``"charge:{charge_id}"`` ->
``"charge:7"``), ``"table:<t>"`` for each table of the policy, and :data:`ALL` (``/cache/clear``).

A committed change emits ``"table:<table>"`` always and, for a row-level change, the entity tag
of the row (``"charge:7"``) and of every related foreign key (a Bestand row: ``"charge:7"``,
``"artikel:3"``, ``"lagerort:2"``). Which entity a table or a foreign-key column stands for is
an :class:`EntityMap`; tables that are no entity of their own (bestand, lagerbewegung,
reservations) contribute their related entities only.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from modular_server.hooks import CachePolicy, Change

#: carried by every entry; invalidating it invalidates everything
ALL = "*"

DEFAULT_TABLE_ENTITIES = {
    "artikel": "artikel",
    "charge": "charge",
    "einheit": "einheit",
    "lagerort": "lagerort",
    "lager": "lager",
}
DEFAULT_COLUMN_ENTITIES = {
    "artikel_id": "artikel",
    "charge_id": "charge",
    "einheit_id": "einheit",
    "lagerort_id": "lagerort",
    "lager_id": "lager",
}


@dataclass(frozen=True, slots=True)
class EntityMap:
    tables: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TABLE_ENTITIES))
    columns: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_COLUMN_ENTITIES))

    def tags_of(self, change: Change) -> set[str]:
        tags = {f"table:{change.table}"}
        if change.pk is None:
            return tags
        entity = self.tables.get(change.table)
        if entity is not None and len(change.pk) == 1:
            tags.add(f"{entity}:{change.pk[0]}")
        for column, value in change.related.items():
            related = self.columns.get(column)
            if related is not None and value is not None:
                tags.add(f"{related}:{value}")
        return tags

    def tags_of_all(self, changes: Iterable[Change]) -> set[str]:
        tags: set[str] = set()
        for change in changes:
            tags |= self.tags_of(change)
        return tags


def entry_tags(policy: CachePolicy, path_params: Mapping[str, Any]) -> tuple[str, ...]:
    """The tags a response of ``policy`` carries (sorted, so they serialize the same everywhere)."""
    tags = {ALL}
    tags.update(_resolve(template, path_params) for template in policy.tags)
    tags.update(f"table:{table}" for table in policy.tables)
    return tuple(sorted(tags))


def _resolve(template: str, path_params: Mapping[str, Any]) -> str:
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    return template.format_map({name: path_params.get(name, "") for name in names})
