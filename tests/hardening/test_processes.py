"""Real server processes: graceful shutdown under load, and several instances sharing
PostgreSQL and Redis."""

import asyncio
import signal
import threading
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from modular_server.testing.harness import postgres_available, temporary_postgres_database
from modular_server.testing.pytest_plugin import _unavailable
from modular_server.testing.server import ServerProcess, cli


async def _prepare(database_url: str, workdir: Path) -> tuple[dict[str, str], str, dict[str, int]]:
    """Migrate, create a key, and a minimal inventory through the API of a short-lived server."""
    env = {"MODULAR_SERVER_DATABASE_URL": database_url, "MODULAR_SERVER_AUTO_MIGRATE": "true"}
    await asyncio.to_thread(cli, "db", "upgrade", env=env, cwd=workdir)
    key = (
        (
            await asyncio.to_thread(
                cli, "keys", "create", "--name", "proc", "--scope", "admin", "--quiet", env=env, cwd=workdir
            )
        )
        .strip()
        .splitlines()[-1]
    )
    server = await asyncio.to_thread(ServerProcess(env, workdir).start)
    try:
        async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {key}"}) as client:
            einheit = (
                await client.post(
                    "/api/v1/einheiten", json={"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": "1"}
                )
            ).json()["id"]
            artikel = (
                await client.post(
                    "/api/v1/artikel",
                    json={"nummer": "P-1", "name": "Palette", "einheit_id": einheit, "chargenpflicht": False},
                )
            ).json()["id"]
            lager = (await client.post("/api/v1/lager", json={"code": "W1", "name": "Werk 1"})).json()["id"]
            ort = (await client.post("/api/v1/lagerorte", json={"lager_id": lager, "code": "A", "name": "A"})).json()[
                "id"
            ]
    finally:
        await asyncio.to_thread(server.stop)
    return env, key, {"artikel": artikel, "ort": ort}


@pytest.fixture
async def pg_url():
    if not await postgres_available():
        _unavailable("PostgreSQL")
    async with temporary_postgres_database() as url:
        yield url


async def test_sigterm_under_load_loses_no_acknowledged_booking(pg_url, tmp_path):
    env, key, ids = await _prepare(pg_url, tmp_path)
    server = await asyncio.to_thread(ServerProcess(env, tmp_path).start)
    acknowledged: list[int] = []
    failures: list[int] = []
    body = {"typ": "eingang", "artikel_id": ids["artikel"], "nach_lagerort_id": ids["ort"], "menge": "1"}

    async def client_loop(client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                response = await client.post("/api/v1/bewegungen", json=body)
            except httpx.HTTPError:
                return  # the server stopped accepting connections
            if response.status_code == 201:
                acknowledged.append(response.json()["id"])
                if len(acknowledged) >= 50:
                    under_load.set()
            elif response.status_code >= 500:
                failures.append(response.status_code)

    stop = asyncio.Event()
    under_load = asyncio.Event()
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        loops = [asyncio.create_task(client_loop(client, stop)) for _ in range(16)]
        await asyncio.wait_for(under_load.wait(), 60)
        server.terminate()  # SIGTERM while requests are in flight
        exit_code = await asyncio.to_thread(server.wait, 60)
        stop.set()
        await asyncio.gather(*loops)
    # uvicorn finishes in-flight requests, runs the lifespan shutdown, then re-raises SIGTERM
    assert exit_code in (0, -signal.SIGTERM), server.log.read_text()[-3000:]
    assert "Application shutdown complete" in server.log.read_text()
    assert failures == []

    verified = await asyncio.to_thread(cli, "lager", "verify", env=env, cwd=tmp_path)
    assert "every balance agrees" in verified
    with ServerProcess(env, tmp_path) as again:
        async with httpx.AsyncClient(base_url=again.url, headers={"Authorization": f"Bearer {key}"}) as client:
            stock = (await client.get("/api/v1/bestand")).json()["items"]
            booked = set()
            cursor = None
            while True:
                page = (
                    await client.get(
                        "/api/v1/bewegungen", params={"limit": 500, **({"cursor": cursor} if cursor else {})}
                    )
                ).json()
                booked |= {m["id"] for m in page["items"]}
                cursor = page["next_cursor"]
                if not cursor:
                    break
    assert set(acknowledged) <= booked, "every acknowledged booking is in the ledger"
    assert Decimal(stock[0]["menge"]) == len(booked), "balance and ledger agree"


async def test_two_instances_share_postgres_and_redis(pg_url, tmp_path, redis_url, redis_prefix):
    env, key, ids = await _prepare(pg_url, tmp_path)
    env = {**env, "MODULAR_SERVER_REDIS_URL": redis_url, "MODULAR_SERVER_REDIS_PREFIX": redis_prefix}
    first = await asyncio.to_thread(ServerProcess(env, tmp_path).start)
    second = await asyncio.to_thread(ServerProcess(env, tmp_path).start)
    headers = {"Authorization": f"Bearer {key}"}
    try:
        async with (
            httpx.AsyncClient(base_url=first.url, headers=headers) as a,
            httpx.AsyncClient(base_url=second.url, headers=headers) as b,
        ):
            path = f"/api/v1/artikel/{ids['artikel']}"
            assert (await b.get(path)).json()["name"] == "Palette"
            assert (await b.get(path)).json()["name"] == "Palette"  # cached on the second instance, if caching
            assert (await a.patch(path, json={"name": "Europalette"})).status_code == 200
            assert (await b.get(path)).json()["name"] == "Europalette", "a write on one instance is fresh on the other"

            # an event on one instance reaches an SSE stream served by the other
            received: list[str] = []
            ready = threading.Event()

            def listen() -> None:
                with httpx.stream(
                    "GET", f"{second.url}/api/v1/notifications/stream", headers=headers, timeout=20
                ) as stream:
                    for line in stream.iter_lines():
                        ready.set()
                        if (line.startswith("data:") and "reservierung" in line) or "charge" in line:
                            received.append(line)
                            return

            listener = threading.Thread(target=listen, daemon=True)
            listener.start()
            await asyncio.to_thread(ready.wait, 10)
            await asyncio.sleep(0.3)
            einheit = (await a.get("/api/v1/einheiten")).json()["items"][0]["id"]
            artikel = (
                await a.post("/api/v1/artikel", json={"nummer": "K-1", "name": "Käse", "einheit_id": einheit})
            ).json()["id"]
            charge = (await a.post("/api/v1/chargen", json={"artikel_id": artikel, "nummer": "K-1-A"})).json()["id"]
            assert (await a.post(f"/api/v1/chargen/{charge}/rueckruf", json={})).status_code == 200
            await asyncio.to_thread(listener.join, 15)
            assert received, "the recall published on the first instance reached the stream of the second"
    finally:
        await asyncio.to_thread(first.stop)
        await asyncio.to_thread(second.stop)
