"""HTTP endpoints of the hello plugin, all under its declared prefix /api/v1/hello."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hello_plugin.models import Greeting
from hello_plugin.settings import HelloSettings
from modular_server.plugin import (
    IdempotencyKey,
    Page,
    Pagination,
    ReadSession,
    host_of,
    run_idempotent,
    settings_of,
)

router = APIRouter(prefix="/api/v1/hello", tags=["hello"])
GREETINGS_CURSOR = "hello.greetings"

Name = Annotated[str, Query(min_length=1, max_length=100)]


class GreetingIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class GreetingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    message: str
    created_at: datetime


def _message(request: Request, name: str) -> str:
    return f"{settings_of(request, 'hello', HelloSettings).greeting}, {name}!"


@router.get("", summary="A greeting (nothing stored)")
async def hello(request: Request, name: Name = "Welt") -> dict[str, str]:
    return {"message": _message(request, name)}


@router.get("/stats", summary="Requests the server answered since start-up")
async def stats(request: Request) -> dict[str, int]:
    return {"requests_seen": host_of(request).data["hello"]["requests"]}


@router.post(
    "/greetings",
    status_code=201,
    responses={201: {"model": GreetingOut}},
    dependencies=[IdempotencyKey],
    summary="Greet someone and keep the greeting (an Idempotency-Key makes a retry safe)",
)
async def create_greeting(request: Request, body: GreetingIn) -> Response:
    message = _message(request, body.name)

    async def work(session: AsyncSession) -> GreetingOut:
        greeting = Greeting(message=message)
        session.add(greeting)
        await session.flush()
        return GreetingOut.model_validate(greeting)

    return await run_idempotent(request, body, work)


@router.get("/greetings", summary="Kept greetings, oldest first (keyset pagination)")
async def list_greetings(session: ReadSession, page: Pagination) -> Page[GreetingOut]:
    query = select(Greeting).order_by(Greeting.id)
    after = page.after(GREETINGS_CURSOR)
    if after is not None:
        query = query.where(Greeting.id > after[0])
    rows = (await session.scalars(query.limit(page.limit + 1))).all()
    items, cursor = page.page(GREETINGS_CURSOR, rows, lambda greeting: (greeting.id,))
    return Page(items=[GreetingOut.model_validate(g) for g in items], next_cursor=cursor)
