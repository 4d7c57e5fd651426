"""A plugin that always works: the witness that one plugin's failure leaves the others active."""

from __future__ import annotations

from fastapi import APIRouter

from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="healthy", version="1.0.0", prefixes=("/api/v1/healthy",))
router = APIRouter(prefix="/api/v1/healthy")


@router.get("")
async def ping() -> dict[str, str]:
    return {"status": "ok"}


@hookimpl
def register_routes() -> list[APIRouter]:
    return [router]
