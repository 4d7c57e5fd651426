"""The public API at work: a plugin written against modular_server.plugin alone (settings with
a secret, its runtime object, a paginated list, the shared 409 bodies), and the first-party
plugins answering duplicates and deletes of referenced rows with one body shape."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import SecretStr

from modular_server.plugin import (
    Page,
    Pagination,
    PluginSettings,
    PluginSpec,
    duplicate,
    hookimpl,
    host_of,
    runtime_of,
    settings_of,
    still_referenced,
)
from modular_server.testing import BOTH

NAME = "lieferant_demo"


class LieferantSettings(PluginSettings):
    api_token: SecretStr
    page_size: int = 2


class Runtime:
    def __init__(self, names: list[str]) -> None:
        self.names = names


router = APIRouter(prefix="/api/v1/lieferanten")


@router.get("")
async def list_lieferanten(request: Request, page: Pagination) -> Page[str]:
    names = runtime_of(request, NAME, Runtime).names
    start = int(page.after("lieferanten")[0]) if page.cursor else 0
    rows = names[start : start + page.limit + 1]
    items, cursor = page.page("lieferanten", rows, lambda _last: (start + page.limit,))
    return Page[str](items=items, next_cursor=cursor)


@router.get("/token")
async def token(request: Request) -> dict[str, Any]:
    settings = settings_of(request, NAME, LieferantSettings)
    return {"length": len(settings.api_token.get_secret_value()), "shown": str(settings.api_token)}


@router.post("/duplicate")
async def refuse_duplicate() -> None:
    raise duplicate("lieferant", "code", "L-1")


@router.delete("/referenced")
async def refuse_delete() -> None:
    raise still_referenced("lieferant", 1, ("bestellungen",), instead="deactivate it instead")


class LieferantPlugin:
    PLUGIN = PluginSpec(name=NAME, prefixes=("/api/v1/lieferanten",))

    @hookimpl
    def plugin_settings(self) -> type[PluginSettings]:
        return LieferantSettings

    @hookimpl
    def register_routes(self) -> list[APIRouter]:
        return [router]

    @hookimpl
    def startup(self, app: FastAPI) -> None:
        host_of(app).data[NAME] = Runtime(["Mühle Nord", "Hof Süd", "Kelterei", "Imkerei", "Rösterei"])

    @hookimpl
    def shutdown(self, app: FastAPI) -> None:
        host_of(app).data.pop(NAME, None)


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


async def test_a_plugin_written_against_the_public_api_alone(make_app, monkeypatch):
    monkeypatch.setenv(f"MODULAR_SERVER_{NAME.upper()}__API_TOKEN", "s3cret-token")
    async with make_app([LieferantPlugin()], discover=False) as running:
        assert running.app.state.host.records[NAME].state.value == "active"
        token = (await running.client.get("/api/v1/lieferanten/token")).json()
        assert token == {"length": 12, "shown": "**********"}
        seen: list[str] = []
        url = "/api/v1/lieferanten?limit=2"
        while url:
            body = (await running.client.get(url)).json()
            seen += body["items"]
            url = f"/api/v1/lieferanten?limit=2&cursor={body['next_cursor']}" if body["next_cursor"] else ""
        assert seen == ["Mühle Nord", "Hof Süd", "Kelterei", "Imkerei", "Rösterei"]
        dup = _problem(await running.client.post("/api/v1/lieferanten/duplicate"), 409)
        assert {k: dup[k] for k in ("type", "resource", "field", "errors")} == {
            "type": "urn:modular-server:problem:duplicate",
            "resource": "lieferant",
            "field": "code",
            "errors": [{"field": "body.code", "reason": "already taken"}],
        }
        ref = _problem(await running.client.delete("/api/v1/lieferanten/referenced"), 409)
        assert {k: ref[k] for k in ("type", "resource", "id", "referenced_by", "instead")} == {
            "type": "urn:modular-server:problem:still-referenced",
            "resource": "lieferant",
            "id": 1,
            "referenced_by": ["bestellungen"],
            "instead": "deactivate it instead",
        }
    with pytest.raises(LookupError):
        runtime_of(running.app, NAME, Runtime)  # stopped: the runtime object is gone


async def test_a_plugin_settings_model_refuses_unknown_keys(make_app, monkeypatch):
    monkeypatch.setenv(f"MODULAR_SERVER_{NAME.upper()}__API_TOKEN", "x")
    monkeypatch.setenv(f"MODULAR_SERVER_{NAME.upper()}__API_TOKNE", "typo")
    async with make_app([LieferantPlugin()], discover=False) as running:
        record = running.app.state.host.records[NAME]
        assert record.state.value == "invalid_config"
        assert "api_tokne" in record.reason
        assert "typo" not in record.reason


DUPLICATE_KEYS = {"type", "title", "status", "detail", "resource", "field", "errors", "instance", "request_id"}
REFERENCED_KEYS = {"type", "title", "status", "detail", "resource", "id", "referenced_by", "instead", "instance"}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_first_party_plugins_answer_conflicts_with_one_shape(make_app):
    async with make_app(only=["artikel", "chargen", "lager"]) as running:
        client = running.client

        async def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
            r = await client.post(url, json=body)
            assert r.status_code == 201, r.text
            return r.json()

        stk = await post("/api/v1/einheiten", {"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": "1"})
        artikel = await post("/api/v1/artikel", {"nummer": "A-1", "name": "Mehl", "einheit_id": stk["id"]})
        charge = await post("/api/v1/chargen", {"artikel_id": artikel["id"], "nummer": "C-1"})
        lager = await post("/api/v1/lager", {"code": "HAUPT", "name": "Hauptlager"})
        await post("/api/v1/lagerorte", {"lager_id": lager["id"], "code": "R1", "name": "Regal 1"})

        duplicates = [
            (
                await client.post("/api/v1/artikel", json={"nummer": "A-1", "name": "x", "einheit_id": stk["id"]}),
                "artikel",
                "nummer",
            ),
            (
                await client.post("/api/v1/chargen", json={"artikel_id": artikel["id"], "nummer": "C-1"}),
                "charge",
                "nummer",
            ),
            (await client.post("/api/v1/lager", json={"code": "HAUPT", "name": "x"}), "lager", "code"),
        ]
        for response, resource, field in duplicates:
            body = _problem(response, 409)
            assert set(body) == DUPLICATE_KEYS, body
            assert body["type"] == "urn:modular-server:problem:duplicate"
            assert (body["resource"], body["field"], body["errors"][0]["field"]) == (resource, field, f"body.{field}")

        refused = [
            (await client.delete(f"/api/v1/artikel/{artikel['id']}"), "artikel", artikel["id"]),
            (await client.delete(f"/api/v1/einheiten/{stk['id']}"), "einheit", stk["id"]),
            (await client.delete(f"/api/v1/lager/{lager['id']}"), "lager", lager["id"]),
        ]
        for response, resource, ident in refused:
            body = _problem(response, 409)
            assert set(body) - {"request_id"} == REFERENCED_KEYS, body
            assert body["type"] == "urn:modular-server:problem:still-referenced"
            assert (body["resource"], body["id"]) == (resource, ident) and body["referenced_by"]
        assert (await client.delete(f"/api/v1/chargen/{charge['id']}")).status_code == 204
