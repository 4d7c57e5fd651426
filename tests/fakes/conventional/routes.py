from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.core.dependencies import DatabaseDep, ReadSession
from tests.fakes.conventional.models import Gadget

router = APIRouter(prefix="/api/v1/gadgets")


class GadgetIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


@router.get("")
async def list_gadgets(session: ReadSession) -> dict[str, Any]:
    gadgets = await session.scalars(select(Gadget).order_by(Gadget.id))
    return {"items": [{"id": g.id, "name": g.name} for g in gadgets]}


@router.post("", status_code=201)
async def create_gadget(body: GadgetIn, db: DatabaseDep) -> dict[str, Any]:
    async def work(session: AsyncSession) -> int:
        gadget = Gadget(name=body.name)
        session.add(gadget)
        await session.flush()
        return gadget.id

    return {"id": await db.transaction(work), "name": body.name}
