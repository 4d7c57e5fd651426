"""Never registered: the plugin's ``register_routes`` hook wins over this convention."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/explicit")


@router.get("/convention")
async def by_convention() -> dict[str, str]:
    return {"by": "convention"}
