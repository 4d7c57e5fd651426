"""A plugin with a settings model (a number with bounds, a secret) to exercise settings loading."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, SecretStr

from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="tuned", version="1.0.0", prefixes=("/api/v1/tuned",))
router = APIRouter(prefix="/api/v1/tuned")


class TunedSettings(BaseModel):
    limit: int = Field(default=10, ge=1)
    mode: str = "default"
    label: str = "default"
    colour: str = "default"
    token: SecretStr = SecretStr("default-token")


@router.get("")
async def show(request: Request) -> dict[str, Any]:
    settings: TunedSettings = request.app.state.host.settings_for("tuned")
    return {"limit": settings.limit, "token": str(settings.token)}


@hookimpl
def plugin_settings() -> type[BaseModel]:
    return TunedSettings


@hookimpl
def register_routes() -> list[APIRouter]:
    return [router]
