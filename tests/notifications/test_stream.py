"""Server-Sent Events, read from a real HTTP server (the in-process test transport buffers
whole responses): in-process fan-out, replay after Last-Event-ID, and fan-out through Redis
between two app instances."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import uvicorn
from fastapi import FastAPI

from modular_server.testing import RunningApp
from modular_server.testing.proxy import TcpProxy
from tests.notifications.support import publish, runtime_of
from tests.support.apps import AppFactory, until_started


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """Serve an already started app over HTTP on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", timeout_graceful_shutdown=1))
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    await until_started(server)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


class EventStream:
    """The parsed frames of one open stream."""

    def __init__(self, lines: AsyncIterator[str]) -> None:
        self.lines = lines

    async def next_frame(self) -> dict[str, str]:
        """The next frame that is more than comments (keep-alives, the greeting)."""
        frame: dict[str, str] = {}
        async with asyncio.timeout(10):
            async for line in self.lines:
                if line == "":
                    if frame:
                        return frame
                    continue
                if line.startswith(":"):
                    continue
                field, _, value = line.partition(": ")
                frame[field] = value
        raise AssertionError("the stream ended")

    async def next_notification(self) -> dict[str, Any]:
        while "data" not in (frame := await self.next_frame()):
            pass
        assert frame["event"] == "notification"
        data = json.loads(frame["data"])
        assert int(frame["id"]) == data["id"]
        return data


@asynccontextmanager
async def open_stream(
    base_url: str, running: RunningApp, headers: dict[str, str] | None = None
) -> AsyncIterator[EventStream]:
    auth = {"Authorization": f"Bearer {running.keys['read']}", **(headers or {})}
    async with (
        httpx.AsyncClient(base_url=base_url, headers=auth, timeout=10) as client,
        client.stream("GET", "/api/v1/notifications/stream") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        # the greeting is sent once the stream is subscribed: nothing published after it is missed
        assert await anext(lines) == "retry: 3000"
        assert await anext(lines) == ": connected"
        yield EventStream(lines)


async def test_stream_delivers_new_notifications_and_replays_missed_ones(notifications_app: AppFactory) -> None:
    async with notifications_app() as running, served(running.app) as url:
        async with open_stream(url, running) as stream:
            await publish(running, "charge.gesperrt", {"charge_id": 1, "nummer": "L-1"})
            first = await stream.next_notification()
            assert first["title"] == "Charge L-1 blocked"
            await publish(running, "charge.freigegeben", {"charge_id": 1, "nummer": "L-1"})
            second = await stream.next_notification()
            assert second["type"] == "charge.freigegeben" and second["id"] > first["id"]

        # a client reconnecting with Last-Event-ID gets what it missed, then live events
        await publish(running, "charge.zurueckgerufen", {"charge_id": 1, "nummer": "L-1"})
        async with open_stream(url, running, {"Last-Event-ID": str(first["id"])}) as stream:
            assert (await stream.next_notification())["id"] == second["id"]
            assert (await stream.next_notification())["type"] == "charge.zurueckgerufen"
            await publish(running, "charge.gesperrt", {"charge_id": 2, "nummer": "L-2"})
            assert (await stream.next_notification())["payload"]["charge_id"] == 2


async def test_redis_fans_out_to_every_instance(
    notifications_app: AppFactory, make_app: AppFactory, redis_url: str, redis_prefix: str, tmp_path: Any
) -> None:
    # instances of one deployment share the database (notification ids are unique) and Redis
    shared = {
        "redis_url": redis_url,
        "redis_prefix": redis_prefix,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}",
    }
    async with (
        make_app(only=["notifications"], notifications={"daily_check_enabled": False}, **shared) as first,
        make_app(only=["notifications"], notifications={"daily_check_enabled": False}, **shared) as second,
        served(first.app) as first_url,
        served(second.app) as second_url,
        # the second app replaced the test keys in the shared database: its keys serve both
        open_stream(first_url, second) as on_first,
        open_stream(second_url, second) as on_second,
    ):
        await publish(first, "charge.gesperrt", {"charge_id": 7, "nummer": "L-7"})
        seen_by_second = await on_second.next_notification()
        seen_by_first = await on_first.next_notification()
        assert seen_by_second == seen_by_first
        assert seen_by_second["title"] == "Charge L-7 blocked"

        # each instance's streams get a notification once (through Redis, not also in process)
        await publish(second, "charge.gesperrt", {"charge_id": 8, "nummer": "L-8"})
        assert (await on_first.next_notification())["payload"]["charge_id"] == 8
        assert (await on_second.next_notification())["payload"]["charge_id"] == 8
        await publish(first, "charge.gesperrt", {"charge_id": 9, "nummer": "L-9"})
        assert (await on_first.next_notification())["payload"]["charge_id"] == 9  # not a second copy of 8
        assert (await on_second.next_notification())["payload"]["charge_id"] == 9


async def test_redis_outage_keeps_streams_serving_and_catches_up(
    make_app: AppFactory, redis_url: str, redis_prefix: str, tmp_path: Any
) -> None:
    target = urlsplit(redis_url)
    proxy = await TcpProxy(target.hostname or "127.0.0.1", target.port or 6379).start()
    shared = {
        "redis_url": f"redis://127.0.0.1:{proxy.port}{target.path}",
        "redis_prefix": redis_prefix,
        "redis_retry_seconds": 0.2,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}",
    }
    quiet = {"daily_check_enabled": False}
    try:
        async with (
            make_app(only=["notifications"], notifications=quiet, **shared) as first,
            make_app(only=["notifications"], notifications=quiet, **shared) as second,
            served(first.app) as first_url,
            served(second.app) as second_url,
            open_stream(first_url, second) as on_first,
            open_stream(second_url, second) as on_second,
        ):
            await proxy.cut()
            # each worker's own streams still get what it stores, at once; no request fails
            await publish(first, "charge.gesperrt", {"charge_id": 1, "nummer": "L-1"})
            assert (await on_first.next_notification())["payload"]["charge_id"] == 1
            await publish(second, "charge.gesperrt", {"charge_id": 2, "nummer": "L-2"})
            assert (await on_second.next_notification())["payload"]["charge_id"] == 2
            listed = await second.client.get("/api/v1/notifications")
            assert listed.status_code == 200 and len(listed.json()["items"]) == 2
            ready = (await first.client.get("/health/ready")).json()
            assert ready["status"] == "degraded" and ready["checks"]["redis"]["status"] == "degraded"
            assert ready["checks"]["notifications.fanout"]["status"] == "degraded"

            await proxy.restore()
            # what the other worker stored during the outage arrives late, not never, and once
            assert (await on_first.next_notification())["payload"]["charge_id"] == 2
            assert (await on_second.next_notification())["payload"]["charge_id"] == 1
            await publish(first, "charge.gesperrt", {"charge_id": 3, "nummer": "L-3"})
            assert (await on_first.next_notification())["payload"]["charge_id"] == 3
            assert (await on_second.next_notification())["payload"]["charge_id"] == 3
            for running in (first, second):
                ready = (await running.client.get("/health/ready")).json()
                assert ready["status"] == "ok", ready
                # the resubscribed listener replayed both outage notifications from the database
                assert runtime_of(running).fanout.caught_up == 2
    finally:
        await proxy.cut()
