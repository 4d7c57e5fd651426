"""Ping a pooled PostgreSQL connection only when it sat idle.

SQLAlchemy's ``pool_pre_ping`` sends a round trip before *every* checkout: under load that is
one extra network round trip and about a tenth of the CPU of a small read per request, to
guard against a failure that can only have happened while the connection was unused. A
connection returned moments ago is as alive as any statement in flight; one that sat idle may
have been closed by a database restart, a failover or a firewall. So the ping runs only after
``idle_seconds`` without use - ``0`` pings before every use, like ``pool_pre_ping``.

A failed ping invalidates the whole pool (as ``pool_pre_ping`` does): the pool opens a fresh
connection for this checkout and replaces every older one on its next use.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

# when the connection went back to the pool (ConnectionPoolEntry.info lives as long as the
# DBAPI connection: a fresh connection has no entry and needs no ping)
_RETURNED_AT = "modular_server.returned_at"


def ping_when_idle(engine: Engine, idle_seconds: float, clock: Any = time.monotonic) -> None:
    """Install the idle-only ping on ``engine``'s pool."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, entry: ConnectionPoolEntry) -> None:
        entry.info[_RETURNED_AT] = clock()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, entry: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        returned = entry.info.get(_RETURNED_AT)
        if returned is None or clock() - returned < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # the pool retries the checkout with a new connection
                raise exc.InvalidatePoolError(f"ping after idle failed: {type(error).__name__}") from error
            raise
