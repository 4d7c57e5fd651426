"""What the chargen plugin offers to the plugins that require it - the only module of this
plugin another plugin may import.

Read functions return plain, frozen :class:`ChargeInfo` values, never the mapped model.

Joins: a plugin whose own statements need batch columns (stock in FEFO order, by
best-before date) uses :data:`CHARGE`, the SQLAlchemy Core ``Table`` of batches, offered for
reading only (``select``, ``join``, ``where``). The columns promised are those of
:class:`ChargeInfo`. Status changes go through this plugin's HTTP API.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.plugin import one_of
from modular_server.plugins.chargen.models import CHARGE_STATUS, Charge

__all__ = ["CHARGE", "CHARGE_STATUS", "ChargeInfo", "chargen_by_ids", "find_charge"]

#: the ``charge`` table, for joins and reads (columns: those of :class:`ChargeInfo`)
CHARGE: Table = Charge.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class ChargeInfo:
    id: int
    artikel_id: int
    nummer: str
    produktionsdatum: date | None
    mhd: date | None
    #: one of :data:`CHARGE_STATUS`; only ``frei`` batches may leave the warehouse or be reserved
    status: str

    @classmethod
    def of(cls, row: Any) -> ChargeInfo:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


async def find_charge(session: AsyncSession, charge_id: int) -> ChargeInfo | None:
    """One batch, or None when it does not exist (one query at most)."""
    found = (await session.execute(_charge_by_id(), {"charge_id": charge_id})).first()
    return None if found is None else ChargeInfo.of(found)


async def chargen_by_ids(session: AsyncSession, ids: Collection[int]) -> dict[int, ChargeInfo]:
    """The batches among ``ids`` that exist, by id (one query)."""
    rows = await session.execute(_chargen_by_ids(), {"ids": list(ids)})
    return {row.id: ChargeInfo.of(row) for row in rows}


# The reads select exactly ChargeInfo's columns (no mapped object, no identity map) with
# statements built once: immutable, the ids travel as bound parameters.
@functools.cache
def _charge_by_id() -> Select[Any]:
    return select(*_info_columns()).where(CHARGE.c.id == bindparam("charge_id"))


@functools.cache
def _chargen_by_ids() -> Select[Any]:
    return select(*_info_columns()).where(one_of(CHARGE.c.id, "ids"))


def _info_columns() -> list[Any]:
    return [CHARGE.c[field.name] for field in fields(ChargeInfo)]
