from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/elsewhere")


@router.get("")
async def elsewhere() -> dict[str, str]:
    return {"where": "outside the declared prefixes"}
