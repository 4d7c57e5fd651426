"""Real server processes: graceful shutdown under load, and several instances sharing
PostgreSQL and Redis (a stampede across them computes once)."""

import asyncio
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from modular_server.testing import eventually
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


@asynccontextmanager
async def _two_instances(env: dict[str, str], workdir: Path) -> AsyncIterator[tuple[ServerProcess, ServerProcess]]:
    """Two ``serve`` processes on the same configuration, started side by side (each start takes seconds)."""
    first, second = ServerProcess(env, workdir), ServerProcess(env, workdir)
    started = await asyncio.gather(
        asyncio.to_thread(first.start), asyncio.to_thread(second.start), return_exceptions=True
    )
    try:
        for outcome in started:
            if isinstance(outcome, BaseException):
                raise outcome
        yield first, second
    finally:
        await asyncio.gather(asyncio.to_thread(first.stop), asyncio.to_thread(second.stop))


@dataclass
class _Answer:
    server: str
    status: int
    headers: dict[str, str]
    body: bytes


class _RawGet:
    """One GET on a connection of its own, opened beforehand: ``send`` only writes the request, so
    a batch of them is on the wire before the first can be answered (an HTTP client's pool would
    open connections lazily and stagger the requests)."""

    def __init__(self, server: ServerProcess, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, server: ServerProcess) -> "_RawGet":
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        return cls(server, reader, writer)

    def send(self, path: str, key: str) -> None:
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.server.port}\r\n"
            f"Authorization: Bearer {key}\r\nConnection: close\r\n\r\n".encode()
        )

    async def answer(self) -> _Answer:
        raw = await self.reader.read()  # Connection: close - the answer ends with the connection
        self.writer.close()
        await self.writer.wait_closed()
        head, _, body = raw.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        return _Answer(self.server.url, int(status_line.split()[1]), headers, body)


@asynccontextmanager
async def _raw_gets(servers: tuple[ServerProcess, ...], per_server: int) -> AsyncIterator[list[_RawGet]]:
    """``per_server`` open connections to each server; closed at the end even if the test failed midway."""
    gets = [await _RawGet.open(server) for server in servers for _ in range(per_server)]
    try:
        yield gets
    finally:
        for get in gets:
            get.writer.close()


@asynccontextmanager
async def _table_locked(database_url: str, table: str) -> AsyncIterator[Callable[[], Awaitable[int]]]:
    """Hold ACCESS EXCLUSIVE on ``table`` for the block, so every query that reads it waits; yields
    a function counting the queries waiting for it."""
    url = make_url(database_url)
    conn = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database=url.database)
    try:
        async with conn.transaction():
            await conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")

            async def waiting() -> int:
                return await conn.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = $1::regclass"
                    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                    table,
                )

            yield waiting
    finally:
        await conn.close()


async def _cache_stats(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/v1/cache/stats")
    assert response.status_code == 200, response.text
    return response.json()


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
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        _two_instances(env, tmp_path) as (first, second),
        httpx.AsyncClient(base_url=first.url, headers=headers) as a,
        httpx.AsyncClient(base_url=second.url, headers=headers) as b,
    ):
        path = f"/api/v1/artikel/{ids['artikel']}"
        computed = await b.get(path)
        assert computed.json()["name"] == "Palette" and computed.headers["x-cache"] == "MISS"
        cached = await b.get(path)  # the cache plugin is active in these processes: its L1 answers
        assert cached.json()["name"] == "Palette" and cached.headers["x-cache"] == "HIT"
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

        async def streaming_and_subscribed() -> bool:
            # "ok" only while the second instance listens on Redis; the count is our stream
            fanout = (await b.get("/health/ready")).json()["checks"]["notifications.fanout"]
            return fanout["status"] == "ok" and fanout["detail"].startswith("1 open streams")

        await eventually(streaming_and_subscribed, "the second instance streams and listens to Redis")
        einheit = (await a.get("/api/v1/einheiten")).json()["items"][0]["id"]
        artikel = (
            await a.post("/api/v1/artikel", json={"nummer": "K-1", "name": "Käse", "einheit_id": einheit})
        ).json()["id"]
        charge = (await a.post("/api/v1/chargen", json={"artikel_id": artikel, "nummer": "K-1-A"})).json()["id"]
        assert (await a.post(f"/api/v1/chargen/{charge}/rueckruf", json={})).status_code == 200
        await asyncio.to_thread(listener.join, 15)
        assert received, "the recall published on the first instance reached the stream of the second"


async def test_stampede_across_two_instances_computes_once(pg_url, tmp_path, redis_url, redis_prefix):
    env, key, ids = await _prepare(pg_url, tmp_path)
    env = {
        **env,
        "MODULAR_SERVER_REDIS_URL": redis_url,
        "MODULAR_SERVER_REDIS_PREFIX": redis_prefix,
        # A waiting request gives up after lock_ms and computes on its own; the test holds the computation
        # until everyone waits, so that patience has to outlast the hold however slow the machine is.
        "MODULAR_SERVER_CACHE__LOCK_MS": "120000",
        # By design a Redis call that fails makes a process compute on its own (Redis is an accelerator).
        # The production timeouts (tens of ms) may count a busy moment of a loaded test machine as such a
        # failure; this test is about the protocol between the processes, not about the machine's latency.
        "MODULAR_SERVER_CACHE__REDIS_TIMEOUT_MS": "5000",
        "MODULAR_SERVER_CACHE__REDIS_CONNECT_TIMEOUT_MS": "5000",
    }
    path = f"/api/v1/artikel/{ids['artikel']}"
    route = "/api/v1/artikel/{artikel_id}"
    per_instance = 25
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        _two_instances(env, tmp_path) as (first, second),
        httpx.AsyncClient(base_url=first.url, headers=headers) as a,
        httpx.AsyncClient(base_url=second.url, headers=headers) as b,
        _raw_gets((first, second), per_instance) as gets,
    ):
        admin = {first.url: a, second.url: b}
        for client in admin.values():  # also authenticates the key once per process, before the burst
            assert route not in (await _cache_stats(client))["routes"], "the URL is not cached yet"

        # The computation (its SELECT on artikel) is held until both instances have a flight for the URL: the
        # one that did not take the Redis lock then cannot have found an answer in Redis - it can only wait.
        async with _table_locked(pg_url, "artikel") as waiting_queries:
            for get in gets:
                get.send(path, key)

            async def held_while_both_wait() -> bool:
                flights = [(await _cache_stats(client))["in_flight"] for client in admin.values()]
                return flights == [1, 1] and await waiting_queries() >= 1

            await eventually(held_while_both_wait, "a flight on both instances and a computation held", 30)
        answers = await asyncio.gather(*(get.answer() for get in gets))

        assert {answer.status for answer in answers} == {200}
        assert len({answer.body for answer in answers}) == 1, "every answer is the one computed"
        misses = [answer.server for answer in answers if answer.headers["x-cache"] == "MISS"]
        report = {url: (await _cache_stats(client))["redis"] for url, client in admin.items()}
        assert len(misses) == 1, f"computed {len(misses)} times; Redis figures: {report}"
        assert {answer.headers["x-cache"] for answer in answers} == {"MISS", "HIT"}
        computing, waiting = misses[0], next(url for url in admin if url != misses[0])

        async def stored() -> bool:  # the L2 store of the computing process ends after its answer
            return (await _cache_stats(admin[computing]))["redis"]["stores"] == 1

        await eventually(stored, "the computed answer stored in Redis", 30)
        stats = {url: await _cache_stats(client) for url, client in admin.items()}

    # one computation in all: the handler ran in one process, for one request
    assert sum(figures["misses"] for figures in stats.values()) == 1
    own = stats[computing]["routes"][route]
    assert (own["misses"], own["hits"]) == (1, per_instance - 1)
    assert stats[computing]["hits_by_level"] == {"l1": 0, "l2": 0, "shared": per_instance - 1}
    # the other process computed nothing: its first request waited on the Redis lock and took the entry from
    # Redis (l2), the others shared that request's result in process; it had nothing of its own to store
    other = stats[waiting]["routes"][route]
    assert (other["misses"], other["hits"]) == (0, per_instance)
    assert stats[waiting]["hits_by_level"] == {"l1": 0, "l2": 1, "shared": per_instance - 1}
    assert stats[waiting]["redis"]["stores"] == 0
    assert stats[waiting]["redis"]["waited_for_other_process"] == 1
    assert stats[computing]["redis"]["waited_for_other_process"] == 0
    for figures in stats.values():
        redis = figures["redis"]
        assert redis["available"] is True and redis["failures"] == 0, redis["last_error"]
        assert redis["acknowledgement_timeouts"] == 0 and redis["owed_invalidations"] == 0
        assert redis["gave_up_waiting"] == 0
        assert figures["in_flight"] == 0 and figures["stale_discarded"] == 0
