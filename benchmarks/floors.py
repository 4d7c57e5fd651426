"""The two floors every variant is compared with, each a minimal ASGI app of its own:

* bytes floor: a bare FastAPI endpoint returning the product's response bytes from memory
  (what the framework and the HTTP stack cost at least);
* raw floor: a Starlette app running the raw driver query for the same page (asyncpg on
  PostgreSQL, aiosqlite on SQLite) and serialising with orjson (what the data costs at least);
  for a booking, a batch booking and a reservation, the product's statements in one transaction
  (:mod:`benchmarks.rawwrites`, :mod:`benchmarks.rawbatch`, :mod:`benchmarks.rawreservations`).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import orjson
from fastapi import FastAPI, Response
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from benchmarks import rawbatch, rawreservations, rawsql, rawwrites

BYTES_FILE_ENV = "BENCH_FLOOR_BYTES_FILE"
DATABASE_URL_ENV = "BENCH_FLOOR_DATABASE_URL"


def bytes_app(bodies: dict[str, bytes]) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/floor/{name}")
    async def floor(name: str) -> Response:
        return Response(bodies[name], media_type="application/json")

    return app


def bytes_app_factory() -> FastAPI:
    stored = json.loads(Path(os.environ[BYTES_FILE_ENV]).read_text(encoding="utf-8"))
    return bytes_app({name: body.encode("utf-8") for name, body in stored.items()})


def raw_app(database_url: str) -> Starlette:
    state: dict[str, rawsql.RawDatabase] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["db"] = await rawsql.RawDatabase.open(database_url)
        try:
            yield
        finally:
            await state["db"].close()

    async def live(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def chargen(request: Request) -> Response:
        after = int(request.query_params.get("after", "0"))
        limit = int(request.query_params.get("limit", "50"))
        return _json(await rawsql.chargen_page(state["db"], after, limit))

    async def charge(request: Request) -> Response:
        return _json(await rawsql.charge_detail(state["db"], int(request.path_params["charge_id"])))

    async def artikel(request: Request) -> Response:
        kategorie = request.query_params["kategorie"]
        limit = int(request.query_params.get("limit", "50"))
        return _json(await rawsql.artikel_page(state["db"], kategorie, limit))

    async def verfuegbarkeit(request: Request) -> Response:
        artikel_id = int(request.path_params["artikel_id"])
        return _json(await rawsql.verfuegbarkeit(state["db"], artikel_id, request.query_params.get("stichtag")))

    async def bewegung(request: Request) -> Response:
        try:
            booked = await rawwrites.book(state["db"], orjson.loads(await request.body()))
        except rawwrites.Refused as refused:
            return JSONResponse({"detail": str(refused)}, status_code=422)
        return _json(booked, status_code=201)

    async def bewegungen_batch(request: Request) -> Response:
        try:
            booked = await rawbatch.book_batch(state["db"], orjson.loads(await request.body())["items"])
        except rawwrites.Refused as refused:
            return JSONResponse({"detail": str(refused)}, status_code=422)
        return _json(booked, status_code=201)

    async def reservierung(request: Request) -> Response:
        try:
            reserved = await rawreservations.reserve(state["db"], orjson.loads(await request.body()))
        except rawwrites.Refused as refused:
            status = 409 if isinstance(refused, rawreservations.Insufficient) else 422
            return JSONResponse({"detail": str(refused)}, status_code=status)
        return _json(reserved, status_code=201)

    routes = [
        Route("/health/live", live),
        Route("/raw/bewegungen", bewegung, methods=["POST"]),
        Route("/raw/bewegungen/batch", bewegungen_batch, methods=["POST"]),
        Route("/raw/reservierungen", reservierung, methods=["POST"]),
        Route("/raw/chargen", chargen),
        Route("/raw/chargen/{charge_id:int}", charge),
        Route("/raw/artikel", artikel),
        Route("/raw/artikel/{artikel_id:int}/verfuegbarkeit", verfuegbarkeit),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def _json(document: object, status_code: int = 200) -> Response:
    return Response(rawsql.dumps(document), status_code=status_code, media_type="application/json")


def raw_app_factory() -> Starlette:
    return raw_app(os.environ[DATABASE_URL_ENV])
