"""A tiny plugin for the cache tests: cached routes that count how often their handler runs."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response

from modular_server.hooks import PluginSpec, cached, hookimpl

NAME = "probe"


def _router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/probe")

    @router.get("/items/{item_id}")
    @cached(ttl=60, tags=["item:{item_id}"], max_age=5)
    async def item(request: Request, item_id: int, q: str = "") -> dict[str, Any]:
        state = request.app.state.host.data[NAME]
        state["calls"] += 1
        version = state["version"]  # what the handler read, before it is held up
        state["entered"].set()
        if state["release"] is not None:
            await state["release"].wait()
        else:
            # long enough for concurrent requests to pile up on the first one
            await asyncio.sleep(state["delay"])
        return {"id": item_id, "q": q, "version": version}

    @router.get("/cookie")
    @cached(ttl=60)
    async def cookie(request: Request, response: Response) -> dict[str, int]:
        request.app.state.host.data[NAME]["calls"] += 1
        response.set_cookie("session", "secret")
        return {"ok": 1}

    @router.get("/boom")
    @cached(ttl=60)
    async def boom(request: Request) -> dict[str, int]:
        request.app.state.host.data[NAME]["calls"] += 1
        raise RuntimeError("the probe fails on purpose")

    @router.get("/plain")
    async def plain() -> dict[str, int]:
        return {"plain": 1}

    return router


class Probe:
    PLUGIN = PluginSpec(name=NAME, prefixes=("/api/v1/probe",))

    @hookimpl
    def register_routes(self) -> list[APIRouter]:
        return [_router()]

    @hookimpl
    def startup(self, app: Any) -> None:
        app.state.host.data[NAME] = {
            "calls": 0,
            "delay": 0.0,
            "version": 1,
            "entered": asyncio.Event(),
            "release": None,
        }


def probe_state(app: Any) -> dict[str, Any]:
    return app.state.host.data[NAME]
