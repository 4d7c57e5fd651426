"""Request body size limit as pure ASGI middleware.

A declared ``Content-Length`` over the limit is refused before the body is read; a chunked
body is counted as it streams and refused as soon as it passes the limit. The refusal is a
:class:`BodyTooLarge` problem raised to the request lifecycle (which wraps this middleware), so
the 413 carries ``instance``, ``request_id``, ``X-Request-ID`` and the security headers like any
other error.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modular_server.core.errors import Problem


class BodyTooLarge(Problem):
    def __init__(self, limit: int) -> None:
        # the rest of the body is not read: the connection cannot be reused
        super().__init__(
            413,
            f"the request body exceeds {limit} bytes",
            slug="body-too-large",
            headers={"Connection": "close"},
            limit=limit,
        )


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
                break
        received = 0
        exceeded = False
        limit = self.max_bytes

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def guarded_send(message: Message) -> None:
            # The framework may turn the aborted body read into its own 400; the 413 is raised below.
            if not exceeded:
                await send(message)

        await self.app(scope, counting_receive, guarded_send)
        if exceeded:
            raise BodyTooLarge(limit)
