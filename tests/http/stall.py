"""A test plugin whose routes make the database fail in each way a real one can (PostgreSQL),
and one that fails with an OSError that has nothing to do with the database."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.core.dependencies import DatabaseDep, ReadSession
from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="stall", version="1.0.0", prefixes=("/api/v1/stall",))
router = APIRouter(prefix="/api/v1/stall")
#: the table the tests lock from outside (the artikel plugin's; not read by authentication)
LOCKED_TABLE = "einheit"


@router.get("/ping")
async def ping(session: ReadSession) -> dict[str, int]:
    """Reads the database on every call (no response cache)."""
    return {"one": int(await session.scalar(text("SELECT 1")) or 0)}


# SET LOCAL and LOCK need a transaction block: a read session on PostgreSQL has none (each
# statement commits on its own), so these routes use a transaction like a plugin would


@router.get("/statement-timeout")
async def statement_timeout(db: DatabaseDep) -> dict[str, str]:
    async def work(session: AsyncSession) -> None:
        await session.execute(text("SET LOCAL statement_timeout = 50"))
        await session.execute(text("SELECT pg_sleep(5)"))

    await db.transaction(work)
    return {"slept": "yes"}


@router.get("/lock-timeout")
async def lock_timeout(db: DatabaseDep) -> dict[str, str]:
    async def work(session: AsyncSession) -> None:
        await session.execute(text("SET LOCAL lock_timeout = 50"))
        await session.execute(text(f"LOCK TABLE {LOCKED_TABLE} IN ACCESS EXCLUSIVE MODE"))

    await db.transaction(work)
    return {"locked": "yes"}


@router.post("/serialization")
async def serialization(request: Request, db: DatabaseDep, fail_times: int) -> dict[str, int]:
    """Raises PostgreSQL's serialization_failure (40001) in the first ``fail_times`` attempts."""
    attempts = 0

    async def work(session: AsyncSession) -> int:
        nonlocal attempts
        attempts += 1
        if attempts <= fail_times:
            await session.execute(
                text("DO $$ BEGIN RAISE EXCEPTION 'could not serialize access' USING ERRCODE = '40001'; END $$")
            )
        return attempts

    return {"attempts": await db.transaction(work)}


@router.get("/os-error")
async def os_error() -> None:
    raise FileNotFoundError("/srv/templates/missing.html")


@hookimpl
def register_routes() -> list[APIRouter]:
    return [router]
