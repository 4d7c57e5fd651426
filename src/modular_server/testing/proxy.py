"""A small TCP proxy for fault tests: put it between the app and PostgreSQL or Redis, then
cut it (open connections are dropped, new ones refused) and restore it, or make it slow
(every chunk is held back ``delay`` seconds in each direction)."""

from __future__ import annotations

import asyncio
import contextlib


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target_host:target_port`` while enabled."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = 0
        #: seconds each chunk waits before it is forwarded (a slow network or server)
        self.delay = 0.0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones.

        The open connections are aborted before the server is awaited: since Python 3.12
        ``Server.wait_closed()`` waits for every connection the server accepted to end, so
        awaiting it first would wait forever on a client that keeps its connection open.
        """
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    async def restore(self) -> None:
        await self.start()

    async def __aenter__(self) -> TcpProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.cut()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # tracked at once, so a cut while the upstream connect is pending drops it too
        self._writers.add(writer)
        server = self._server
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            self._writers.discard(writer)
            writer.transport.abort()
            return
        if self._server is not server or writer not in self._writers:
            # cut (and maybe restored) while connecting: this connection belongs to the old server
            upstream_writer.transport.abort()
            writer.transport.abort()
            return
        self._writers.add(upstream_writer)
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.get_running_loop().create_task(self._pipe(source, sink))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()
