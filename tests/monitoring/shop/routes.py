from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.core.dependencies import ReadSession
from tests.monitoring.shop.models import MonCategory, MonWidget

router = APIRouter(prefix="/api/v1/monshop")
#: pg_sleep in FROM, so the plan shows a real scan of monshop_widget next to the pause
SLOW_POSTGRES = "SELECT w.id FROM monshop_widget w, pg_sleep(:pause) WHERE w.name <> :name"
SECRET_LITERAL = "GEHEIM-LITERAL-0815"
SLOW_SQLITE = "SELECT w.id FROM monshop_widget w WHERE w.name <> :name"


@router.get("/widgets-n-plus-one")
async def widgets_n_plus_one(session: ReadSession) -> list[dict[str, Any]]:
    widgets = (await session.scalars(select(MonWidget).order_by(MonWidget.id))).all()
    found = []
    for widget in widgets:  # one query per widget: the N+1 pattern
        category = await session.scalar(select(MonCategory.name).where(MonCategory.id == widget.category_id))
        found.append({"id": widget.id, "category": category})
    return found


@router.get("/widgets")
async def widgets(session: ReadSession) -> list[dict[str, Any]]:
    rows = await session.execute(select(MonWidget.id, MonCategory.name).join(MonCategory).order_by(MonWidget.id))
    return [{"id": widget_id, "category": category} for widget_id, category in rows]


@router.get("/widgets/{widget_id}")
async def widget(session: ReadSession, widget_id: int) -> dict[str, Any]:
    name = await session.scalar(select(MonWidget.name).where(MonWidget.id == widget_id))
    return {"id": widget_id, "name": name}


@router.get("/search")
async def search(session: ReadSession, name: str) -> dict[str, Any]:
    """Looks one value up six times, so the secret is a parameter of an N+1 pattern too."""
    hits = 0
    for _ in range(6):
        hits += len((await session.scalars(select(MonWidget.id).where(MonWidget.name == name))).all())
    # an inline literal: the fingerprint must strip it like a parameter
    literal = await session.scalar(text(f"SELECT count(*) FROM monshop_widget WHERE name <> '{SECRET_LITERAL}'"))
    return {"hits": hits, "others": literal}


@router.get("/slow")
async def slow(request: Request, session: ReadSession, name: str, pause: float = 0.0) -> dict[str, int]:
    if request.app.state.settings.is_sqlite:
        rows = await session.execute(text(SLOW_SQLITE), {"name": name})
    else:
        rows = await session.execute(text(SLOW_POSTGRES), {"name": name, "pause": pause})
    return {"rows": len(rows.all())}


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("deliberate failure")


async def seed(app: Any, widgets: int = 6) -> None:
    async def work(session: AsyncSession) -> None:
        categories = [MonCategory(name=f"Kategorie {i}") for i in range(widgets)]
        session.add_all(categories)
        await session.flush()
        session.add_all(MonWidget(name=f"Widget {i}", category_id=c.id) for i, c in enumerate(categories))

    await app.state.db.transaction(work)
