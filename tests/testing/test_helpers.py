"""The helpers that ship to plugin authors in ``modular_server.testing`` work on every
supported Python (they run in the suite that ``.ci/run`` runs on the oldest and newest)."""

from __future__ import annotations

import asyncio

import pytest

from modular_server.testing import count_statements, eventually
from modular_server.testing.proxy import TcpProxy

# Generous bound for a step that must finish at once; only there so a regression fails
# instead of hanging the suite (the per-test timeout would also catch it, later).
PROMPTLY = 10.0


async def _echo_server() -> asyncio.Server:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(1024):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    return await asyncio.start_server(echo, "127.0.0.1", 0)


async def _roundtrip(port: int, payload: bytes) -> tuple[bytes, asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    return await asyncio.wait_for(reader.readexactly(len(payload)), PROMPTLY), reader, writer


async def test_proxy_cut_drops_open_connections_without_waiting_for_the_client():
    """Python 3.12 made ``Server.wait_closed()`` wait for accepted connections: a cut that
    awaited it before dropping them hung forever while a client kept its connection."""
    upstream = await _echo_server()
    proxy = await TcpProxy("127.0.0.1", upstream.sockets[0].getsockname()[1]).start()
    try:
        echoed, reader, writer = await _roundtrip(proxy.port, b"ping")
        assert echoed == b"ping"
        await asyncio.wait_for(proxy.cut(), PROMPTLY)
        # the client sees its connection end; it never closed it itself
        assert await asyncio.wait_for(reader.read(), PROMPTLY) == b""
        writer.close()
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", proxy.port)

        await proxy.restore()
        echoed, _, writer = await _roundtrip(proxy.port, b"pong")
        assert echoed == b"pong"
        writer.close()
    finally:
        await asyncio.wait_for(proxy.cut(), PROMPTLY)
        upstream.close()
        await upstream.wait_closed()


async def test_proxy_cut_while_a_connection_is_still_being_accepted():
    """A cut that lands while the proxy is connecting upstream drops that connection too."""
    upstream = await _echo_server()
    port = upstream.sockets[0].getsockname()[1]
    proxy = await TcpProxy("127.0.0.1", port).start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        await asyncio.wait_for(proxy.cut(), PROMPTLY)
        assert await asyncio.wait_for(reader.read(), PROMPTLY) == b""
        writer.close()
    finally:
        upstream.close()
        await upstream.wait_closed()


async def test_proxy_delay_holds_data_back_and_context_manager_cuts():
    upstream = await _echo_server()
    async with TcpProxy("127.0.0.1", upstream.sockets[0].getsockname()[1]) as proxy:
        proxy.delay = 0.05
        loop = asyncio.get_running_loop()
        started = loop.time()
        echoed, _, writer = await _roundtrip(proxy.port, b"slow")
        assert echoed == b"slow"
        # held back once on the way there and once on the way back
        assert loop.time() - started >= 0.1
        writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", proxy.port)
    upstream.close()
    await upstream.wait_closed()


async def test_eventually_returns_the_first_truthy_answer_and_names_what_never_happened():
    answers = iter([None, 0, "ready"])

    async def check() -> str | int | None:
        return next(answers)

    assert await eventually(check, "the third answer") == "ready"

    async def never() -> bool:
        return False

    with pytest.raises(AssertionError, match=r"not within 0\.1s: the impossible"):
        await eventually(never, "the impossible", seconds=0.1)


async def test_count_statements_counts_only_what_runs_inside_the_block(make_app):
    async with make_app(only=["artikel"]) as running:
        await running.client.get("/api/v1/artikel")  # warm the API-key cache: later requests verify without SQL
        block_open = asyncio.Event()
        background_done = asyncio.Event()

        async def outside_worker() -> None:
            # started before the block: its statements belong to its own context
            await block_open.wait()
            await running.client.get("/api/v1/artikel")
            background_done.set()

        worker = asyncio.get_running_loop().create_task(outside_worker())
        with count_statements(running.app) as counter:
            block_open.set()
            await running.client.get("/api/v1/artikel")
            await background_done.wait()
        await worker
        with running.count_statements() as alone:
            await running.client.get("/api/v1/artikel")
        # the worker's request ran during the first block but is not counted in it
        assert alone.count >= 1
        assert counter.count == alone.count
        assert counter.statements == alone.statements
