"""/api/v1/system: plugin introspection and API-key administration (admin scope)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from modular_server.core.graph import explain_order
from modular_server.hooks.policy import requires_scope

router = APIRouter(prefix="/api/v1/system", tags=["system"])


class KeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scope: str = Field(pattern="^(read|write|admin)$")


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    scope: str
    prefix: str
    revoked: bool = False


class IssuedKeyOut(BaseModel):
    id: int
    name: str
    scope: str
    key: str = Field(description="shown once; only a digest is stored")


@router.get("/plugins", summary="Every discovered plugin with state, reason and timings")
@requires_scope("admin")
async def plugins(request: Request) -> dict[str, Any]:
    host = request.app.state.host
    return {
        "items": host.report(),
        "order": [name for name, _ in explain_order({n: r.requires for n, r in host.records.items()})],
    }


@router.get("/keys", summary="API keys (without secrets)")
@requires_scope("admin")
async def list_keys(request: Request) -> dict[str, list[KeyOut]]:
    keys = await request.app.state.keys.list()
    return {
        "items": [
            KeyOut(id=k.id, name=k.name, scope=k.scope, prefix=k.prefix, revoked=k.revoked_at is not None) for k in keys
        ]
    }


@router.post("/keys", status_code=201, summary="Create an API key; the key is returned once")
@requires_scope("admin")
async def create_key(request: Request, body: KeyCreate) -> IssuedKeyOut:
    issued = await request.app.state.keys.create(body.name, body.scope)
    return IssuedKeyOut(id=issued.id, name=issued.name, scope=issued.scope, key=issued.token)


@router.delete("/keys/{name}", status_code=204, summary="Revoke an API key")
@requires_scope("admin")
async def revoke_key(request: Request, name: str) -> None:
    await request.app.state.keys.revoke(name)
