"""Generic EXPLAIN plans of slow SELECTs on PostgreSQL, without any parameter value.

The plan is computed from the statement's *fingerprint* (every literal and parameter already
replaced by ``?``), never from the executed statement, so no value can reach a plan. The
placeholders become ``$1..$n`` of a prepared statement, and ``plan_cache_mode =
force_generic_plan`` makes ``EXPLAIN EXECUTE stmt(NULL, ...)`` show the generic plan - the
plan PostgreSQL uses when it does not know the values (filters read ``$1``, the NULLs are never
folded in). This works from PostgreSQL 12 on; 16's ``EXPLAIN (GENERIC_PLAN)`` gives the same
plan and is not needed. EXPLAIN runs without ANALYZE: nothing is executed.

Limits: a fingerprint whose placeholders PostgreSQL cannot type (e.g. ``? IS NULL`` alone) or
that normalization changed syntactically (a folded ``IN (?+)`` list is explained with one
element) yields no plan but a note saying why. Runs on its own connection (no pool, so
monitoring never takes a connection from requests), off the request path, in the flusher.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from modular_server.plugins.monitoring.recorder import SlowStatement
    from modular_server.plugins.monitoring.settings import MonitoringSettings

_FOLDED_LIST = re.compile(r"\(\?\+\)")
_PLACEHOLDER = re.compile(r"\?")
EXPLAIN_TIMEOUT_SECONDS = 5.0
PlanResult = tuple[Any | None, str | None]


def explainable(fingerprint: str) -> tuple[str, int]:
    """The fingerprint as a statement with ``$1..$n`` placeholders, and n."""
    text = _FOLDED_LIST.sub("(?)", fingerprint)
    counter = iter(range(1, 1_000_000))
    text = _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", text)
    return text, next(counter) - 1


class PlanExplainer:
    """Explains slow SELECT fingerprints, sampled, at most once per fingerprint and interval."""

    def __init__(self, database_url: str, settings: MonitoringSettings) -> None:
        self.settings = settings
        self.postgres = database_url.startswith("postgresql")
        self._engine: AsyncEngine | None = None
        self._url = database_url
        self._recent: LRUCache[str, tuple[float, PlanResult]] = LRUCache(maxsize=512)

    async def plan_for(self, slow: SlowStatement) -> PlanResult:
        if not self.postgres:
            return None, "plans are collected on PostgreSQL only"
        if not slow.is_select:
            return None, "not a SELECT"
        if not self.settings.explain_slow_queries:
            return None, "EXPLAIN is switched off (explain_slow_queries)"
        now = time.monotonic()
        recent = self._recent.get(slow.fingerprint)
        if recent is not None and now - recent[0] < self.settings.explain_interval_seconds:
            return recent[1]
        if random.random() >= self.settings.explain_sample_rate:
            result: PlanResult = (None, "not sampled (explain_sample_rate)")
        else:
            result = await self._explain(slow.fingerprint)
        self._recent[slow.fingerprint] = (now, result)
        return result

    async def _explain(self, fingerprint: str) -> PlanResult:
        statement, placeholders = explainable(fingerprint)
        arguments = f"({', '.join(['NULL'] * placeholders)})" if placeholders else ""
        if self._engine is None:
            self._engine = create_async_engine(self._url, poolclass=NullPool)
        try:
            async with asyncio.timeout(EXPLAIN_TIMEOUT_SECONDS), self._engine.connect() as conn:
                raw = (await conn.get_raw_connection()).driver_connection
                async with raw.transaction():
                    await raw.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                    await raw.execute(f"SET LOCAL statement_timeout = {int(EXPLAIN_TIMEOUT_SECONDS * 1000)}")
                    await raw.execute(f"PREPARE modular_server_explain AS {statement}")
                    plan = await raw.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE modular_server_explain{arguments}")
        except Exception as exc:  # any failure only costs the plan; the record is kept
            return None, f"EXPLAIN failed: {type(exc).__name__}: {str(exc)[:200]}"
        return (json.loads(plan) if isinstance(plan, str) else plan), None

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
