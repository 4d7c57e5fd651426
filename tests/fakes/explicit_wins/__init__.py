"""A plugin package with a ``routes`` module *and* a ``register_routes`` hook: the hook wins."""

from fastapi import APIRouter

from modular_server.hooks import PluginSpec, hookimpl

PLUGIN = PluginSpec(name="explicit_wins", prefixes=("/api/v1/explicit",))


@hookimpl
def register_routes() -> list[APIRouter]:
    router = APIRouter(prefix="/api/v1/explicit")

    @router.get("/chosen")
    async def chosen() -> dict[str, str]:
        return {"by": "hook"}

    return [router]
