"""The audit trail: every change to an audited table (bookings, reservations, batch status,
master data) and every admin action, with who, when, what and the request id.

Which tables are audited is declared where they are defined: the core's ``api_key``, and
each plugin's ``audited_tables`` (its manifest); a deployment adjusts that with
``audit_extra_tables`` and ``audit_excluded_tables`` (:func:`audited_tables`).

Row changes are written by the session itself right before COMMIT, in the same transaction;
admin actions (non-GET requests that need the admin scope) are written when the request
finished successfully.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Insert, insert, inspect
from sqlalchemy.orm import Session

from modular_server.core.models import AuditEntry
from modular_server.hooks.context import RequestContext, current_request

if TYPE_CHECKING:
    from modular_server.core.states import PluginRecord
    from modular_server.settings import Settings

log = logging.getLogger("modular_server.audit")
_PENDING = "modular_server.audit"
MAX_AUDITED_ROWS = 1000  # a booking batch at most
# never copied into the trail, whatever table they are in
_SECRET_COLUMNS = frozenset({"digest", "secret", "password", "token", "key_hash"})
SYSTEM = "system"
#: the core's own audited tables (who holds which API key)
CORE_AUDITED = frozenset({"api_key"})


def audited_tables(settings: Settings, plugins: Iterable[PluginRecord]) -> frozenset[str]:
    """The core's tables and those the given (active) plugins declare, plus
    ``audit_extra_tables``, minus ``audit_excluded_tables``. A plugin audits only tables it
    owns; a declared table it does not own is ignored with a warning. The deprecated
    ``audit_tables``, when set, replaces all of this."""
    if settings.audit_tables is not None:
        log.warning(
            "audit: the deprecated setting audit_tables replaces the plugins' declarations; "
            "use audit_extra_tables and audit_excluded_tables instead"
        )
        return frozenset(settings.audit_tables)
    tables = set(CORE_AUDITED)
    for record in plugins:
        declared = set(record.spec.audited_tables) if record.spec is not None else set()
        foreign = declared - set(record.tables)
        if foreign:
            log.warning("plugin %s declares audited tables it does not own, ignored: %s", record.name, sorted(foreign))
        tables |= declared - foreign
    return frozenset((tables | set(settings.audit_extra_tables)) - set(settings.audit_excluded_tables))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _who(ctx: RequestContext | None) -> tuple[str, str | None]:
    if ctx is None:
        return SYSTEM, None
    return (ctx.principal.name if ctx.principal else "anonymous"), ctx.request_id


def collect_flushed(session: Session, audited: frozenset[str]) -> None:
    """After a flush: remember what changed in audited tables (values as stored)."""
    if not audited:
        return
    pending = session.info.setdefault(_PENDING, [])
    for action, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            state = inspect(obj)
            table = state.mapper.local_table
            if table.name not in audited:
                continue
            if action == "update":
                changed = {attr.key: _plain(attr.value) for attr in state.attrs if attr.history.has_changes()}
                if not changed:
                    continue
            elif action == "insert":
                changed = {
                    attr.key: _plain(attr.value)
                    for attr in state.attrs
                    if attr.key in table.columns and attr.key not in _SECRET_COLUMNS
                }
            else:
                changed = {}
            pk = ",".join(str(v) for v in state.mapper.primary_key_from_instance(obj))
            pending.append({"action": action, "table_name": table.name, "row_id": pk, "detail": changed})


def collect_statement(session: Session, audited: frozenset[str], action: str, table: str, parameters: Any) -> None:
    """A Core/bulk statement on an audited table: the rows it inserted (values as given), or
    the number of parameter sets of an UPDATE/DELETE."""
    if table not in audited:
        return
    rows = parameters if isinstance(parameters, list) else [parameters] if isinstance(parameters, dict) else []
    detail: dict[str, Any] = {"bulk": True, "rows": len(rows)}
    if action == "insert":
        detail["values"] = [
            {k: _plain(v) for k, v in row.items() if k not in _SECRET_COLUMNS} for row in rows[:MAX_AUDITED_ROWS]
        ]
    session.info.setdefault(_PENDING, []).append(
        {"action": action, "table_name": table, "row_id": None, "detail": detail}
    )


def write_pending(session: Session) -> None:
    """Before COMMIT: insert the collected entries in the same transaction."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    principal, request_id = _who(current_request())
    rows = [{**entry, "principal": principal, "request_id": request_id} for entry in pending]
    # a Core insert of the table: the ORM's bulk insert of the mapped class did the same work
    # through its unit-of-work machinery, a tenth of a booking's CPU
    session.execute(_insert_entries(), rows)


@functools.cache
def _insert_entries() -> Insert:
    return insert(AuditEntry.__table__)


def discard_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


async def record_admin_action(db: Any, ctx: RequestContext, status: int) -> None:
    """Record a finished admin action (its own small transaction)."""
    principal, request_id = _who(ctx)

    async def work(session: Any) -> None:
        session.add(
            AuditEntry(
                principal=principal,
                request_id=request_id,
                action="admin",
                table_name="-",
                row_id=None,
                detail={"method": ctx.method, "route": ctx.route or ctx.path, "status": status},
            )
        )

    try:
        await db.transaction(work)
    except Exception:
        log.exception("could not record admin action %s %s", ctx.method, ctx.route)
