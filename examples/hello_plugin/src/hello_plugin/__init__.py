"""The smallest useful plugin: a route, a settings model, and an observer hook."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(
    name="hello",
    version="0.1.0",
    description="Says hello and counts answered requests",
    prefixes=("/api/v1/hello",),
)


class HelloSettings(BaseModel):
    greeting: str = "Hallo"


router = APIRouter(prefix="/api/v1/hello", tags=["hello"])


@router.get("")
async def hello(request: Request, name: str = "Welt") -> dict[str, str]:
    settings: HelloSettings = request.app.state.host.settings_for("hello")
    return {"message": f"{settings.greeting}, {name}!"}


@router.get("/stats")
async def stats(request: Request) -> dict[str, int]:
    return {"requests_seen": request.app.state.host.data["hello"]["requests"]}


@hookimpl
def plugin_settings() -> type[BaseModel]:
    return HelloSettings


@hookimpl
def register_routes() -> list[APIRouter]:
    return [router]


@hookimpl
def startup(app: Any) -> None:
    app.state.host.data["hello"] = {"requests": 0}


@hookimpl
def request_finished(app: Any) -> None:
    app.state.host.data["hello"]["requests"] += 1
