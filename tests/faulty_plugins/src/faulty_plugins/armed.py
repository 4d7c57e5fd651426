"""The settings most faulty plugins share: whether their fault is armed."""

from __future__ import annotations

from pydantic import BaseModel


class Armed(BaseModel):
    armed: bool = False


def ping_router(name: str) -> object:
    """A router with ``GET /api/v1/<name>/ping`` (the witness that a plugin serves)."""
    from fastapi import APIRouter

    router = APIRouter(prefix=f"/api/v1/{name}")

    @router.get("/ping")
    async def ping() -> dict[str, str]:
        return {"plugin": name, "status": "ok"}

    return router
