"""/api/v1/system: plugin introspection and API-key administration (admin scope)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from modular_server.core.dependencies import ReadSession
from modular_server.core.models import AuditEntry
from modular_server.core.pagination import Page, Pagination
from modular_server.core.states import PluginState
from modular_server.hooks.policy import requires_scope

router = APIRouter(prefix="/api/v1/system", tags=["system"])
Scope = Literal["read", "write", "admin"]


class KeyCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "lager-terminal-2", "scope": "write"}]})

    name: str = Field(min_length=1, max_length=100)
    scope: str = Field(pattern="^(read|write|admin)$")


class KeyOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {"id": 4, "name": "lager-terminal-2", "scope": "write", "prefix": "7db418d93695", "revoked": False}
            ]
        },
    )

    id: int
    name: str
    scope: Scope
    prefix: str
    revoked: bool = False


class IssuedKeyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "name": "lager-terminal-2",
                    "scope": "write",
                    "key": "msk_7db418d93695_Q2hhcmdlLTIwMjYtMDMtMDEtc2VjcmV0_k9-TzqLw2m",
                }
            ]
        }
    )

    id: int
    name: str
    scope: Scope
    key: str = Field(description="shown once; only a digest is stored")


PLUGIN_EXAMPLE: dict[str, Any] = {
    "name": "artikel",
    "state": "active",
    "reason": "",
    "hint": "",
    "version": "0.1.0",
    "description": "Artikel and Einheiten (units with conversion)",
    "requires": [],
    "prefixes": ["/api/v1/artikel", "/api/v1/einheiten"],
    "hooks": ["migration_locations", "register_models", "register_routes"],
    "tables": ["artikel", "einheit"],
    "origin": "modular-server: modular_server.plugins.artikel",
    "timings_ms": {"import": 0.46, "register": 0.16, "config": 0.0, "setup": 34.3, "startup": 0.02},
    "observer_failures": 0,
    "failures_by_hook": {},
}


class PluginOut(BaseModel):
    """What the kernel knows about one discovered plugin."""

    model_config = ConfigDict(json_schema_extra={"examples": [PLUGIN_EXAMPLE]})

    name: str
    state: PluginState
    reason: str = Field(description="why it is not active; empty when active")
    hint: str = Field(description="what an operator can do about it")
    version: str | None = Field(description="null for a plugin that was never imported")
    description: str
    requires: list[str]
    prefixes: list[str] = Field(description="the URL prefixes it serves (503 under them while it is not serving)")
    hooks: list[str]
    tables: list[str]
    origin: str = Field(description="the distribution and module it came from")
    timings_ms: dict[str, float] = Field(description="milliseconds per load phase (import, register, setup, ...)")
    observer_failures: int
    failures_by_hook: dict[str, int]


class PluginsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [PLUGIN_EXAMPLE], "order": ["artikel", "chargen", "lager"]}]}
    )

    items: list[PluginOut] = Field(description="every discovered plugin, in load order")
    order: list[str] = Field(description="the load order (required plugins first)")


class KeysOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": KeyOut.model_json_schema()["examples"]}]})

    items: list[KeyOut]


@router.get(
    "/plugins",
    summary="Every discovered plugin with state, reason and timings",
)
@requires_scope("admin")
async def plugins(request: Request) -> PluginsOut:
    return PluginsOut.model_validate(request.app.state.host.document())


@router.get(
    "/keys",
    summary="API keys (without secrets)",
)
@requires_scope("admin")
async def list_keys(request: Request, session: ReadSession) -> KeysOut:
    keys = await request.app.state.keys.list(session)
    return KeysOut(
        items=[
            KeyOut(id=k.id, name=k.name, scope=k.scope, prefix=k.prefix, revoked=k.revoked_at is not None) for k in keys
        ]
    )


@router.post("/keys", status_code=201, summary="Create an API key; the key is returned once")
@requires_scope("admin")
async def create_key(request: Request, body: KeyCreate) -> IssuedKeyOut:
    issued = await request.app.state.keys.create(body.name, body.scope)
    return IssuedKeyOut(id=issued.id, name=issued.name, scope=issued.scope, key=issued.token)


@router.delete("/keys/{name}", status_code=204, summary="Revoke an API key")
@requires_scope("admin")
async def revoke_key(request: Request, name: str) -> None:
    await request.app.state.keys.revoke(name)


class AuditOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 812,
                    "at": "2026-03-02T08:15:00Z",
                    "principal": "key:lager-terminal-2",
                    "request_id": "3f2b9c1e6a4d4e0f",
                    "action": "insert",
                    "table_name": "artikel",
                    "row_id": "42",
                    "detail": {"id": 42, "name": "Vollmilch 3,5 %", "einheit": "l"},
                }
            ]
        },
    )

    id: int
    at: datetime
    principal: str
    request_id: str | None
    action: str
    table_name: str
    row_id: str | None
    detail: dict[str, Any]


@router.get("/audit", summary="The audit trail, newest first")
@requires_scope("admin")
async def audit_trail(
    session: ReadSession,
    page: Pagination,
    table: str | None = None,
    principal: str | None = None,
    request_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditOut]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(page.limit + 1)
    if (after := page.after("audit")) is not None:
        query = query.where(AuditEntry.id < after[0])
    for column, value in (
        (AuditEntry.table_name, table),
        (AuditEntry.principal, principal),
        (AuditEntry.request_id, request_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    rows = list(await session.scalars(query))
    items, cursor = page.page("audit", rows, lambda row: [row.id])
    return Page[AuditOut](items=[AuditOut.model_validate(r) for r in items], next_cursor=cursor)
