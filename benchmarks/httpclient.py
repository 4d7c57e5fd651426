"""A minimal HTTP/1.1 keep-alive client over asyncio streams, parsed by httptools.

The load generator must not be the bottleneck: httpx spends several times more CPU per
request than a bare FastAPI endpoint does, which would cap every variant at the client's
speed. This client only writes prepared request bytes and parses the answer in C.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import httptools

READ_CHUNK = 65536


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class _Parsed:
    headers: dict[str, str] = field(default_factory=dict)
    body: list[bytes] = field(default_factory=list)
    complete: bool = False
    keep_alive: bool = True

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


def request_head(method: str, host: str, path: str, headers: dict[str, str]) -> bytes:
    """Request line and header lines, each ending in CRLF; the caller adds Content-Length
    (when there is a body) and the blank line."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return "".join(line + "\r\n" for line in lines).encode("latin-1")


class Connection:
    """One keep-alive connection; requests on it are sequential."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout)

    async def send(self, raw_request: bytes, *, idempotent: bool) -> Answer:
        """Send prepared request bytes and read the whole answer. An idempotent request is
        sent once more on a new connection when the server closed the old one unanswered
        (an idle keep-alive timeout); a write never is, so it cannot be booked twice."""
        attempts = (1, 2) if idempotent else (2,)
        for attempt in attempts:
            if self._writer is None:
                await self._connect()
            try:
                return await asyncio.wait_for(self._exchange(raw_request), self.timeout)
            except (ConnectionError, asyncio.IncompleteReadError, _ClosedEarly):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, raw_request: bytes) -> Answer:
        assert self._reader is not None and self._writer is not None
        self._writer.write(raw_request)
        await self._writer.drain()
        parsed = _Parsed()
        parser = httptools.HttpResponseParser(parsed)
        while not parsed.complete:
            chunk = await self._reader.read(READ_CHUNK)
            if not chunk:
                raise _ClosedEarly
            parser.feed_data(chunk)
        if not parser.should_keep_alive():
            await self.close()
        return Answer(parser.get_status_code(), parsed.headers, b"".join(parsed.body))

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):  # the peer went first; nothing left to release
                await self._writer.wait_closed()
        self._reader = self._writer = None


class _ClosedEarly(ConnectionError):
    """The server closed the connection before a complete answer."""
