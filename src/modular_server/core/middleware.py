"""The request lifecycle as pure ASGI middleware (BaseHTTPMiddleware costs 20-40 % throughput).

For every HTTP request: a :class:`RequestContext` in a contextvar; for ``/api`` paths also
routing (route template and owning plugin), authentication and scope (gate), 503 for routes
of a plugin that is not serving, and the response-cache gate. ``before_response`` observers
see the response before it is sent, ``request_finished`` observers after.
"""

from __future__ import annotations

import inspect
import logging
import re
import uuid
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache
from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modular_server.core.audit import record_admin_action
from modular_server.core.errors import PROBLEM_MEDIA_TYPE, problem_body
from modular_server.core.ratelimit import retry_after
from modular_server.core.security import bearer_token
from modular_server.hooks.context import RequestContext, ResponseInfo, _current_request
from modular_server.hooks.policy import scope_of

if TYPE_CHECKING:
    from fastapi import FastAPI

    from modular_server.core.plugins import PluginHost

log = logging.getLogger("modular_server.errors")
API_PREFIX = "/api/"
# Sent with every response: an API has no reason to be framed, sniffed or referred.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# (method, path) -> (route, path params); bounded, since paths carry ids
_Resolved = tuple[Any, dict[str, Any]]
# status, headers, body of a response the middleware sends itself
_Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class RequestLifecycle:
    def __init__(self, app: ASGIApp, fastapi_app: FastAPI, host: PluginHost, route_owner: dict[int, str]) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.host = host
        self.route_owner = route_owner
        self._routes: LRUCache[tuple[str, str], _Resolved] = LRUCache(maxsize=8192)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given_id = headers.get("x-request-id")
        method = scope["method"]
        if method == "HEAD":
            # HEAD is GET without the body (RFC 9110): routed, authorized and answered as GET
            scope = {**scope, "method": "GET"}
            send = _without_body(send)
        ctx = RequestContext(
            app=self.fastapi_app,
            request_id=given_id if given_id and _REQUEST_ID.match(given_id) else uuid.uuid4().hex,
            method=method,
            path=scope["path"],
            query_string=scope.get("query_string", b""),
        )
        token = _current_request.set(ctx)
        try:
            # Errors of the admission (the core's key check with the database down) and of the
            # handler are answered here, not in Starlette's outer error middleware, so every
            # error response carries the request id and headers, and observers count it.
            try:
                if ctx.path.startswith(API_PREFIX):
                    refusal = await self._admit(ctx, scope, headers)
                    if refusal is not None:
                        await self._respond(ctx, send, *refusal)
                        return
                    if ctx.endpoint is not None and self.host.has_gate("lookup_response"):
                        cached = await self.host.gate("lookup_response", app=self.fastapi_app, ctx=ctx, headers=headers)
                        if cached is not None:
                            await self._respond(ctx, send, cached.status, list(cached.headers), cached.body)
                            return
                elif self._resolve(scope)[0] is None and (page := self._inactive_plugin(ctx)) is not None:
                    # a public page (e.g. /metrics) of a plugin that is not serving: 503, not 404
                    await self._respond(ctx, send, *_plugin_unavailable(page))
                    return
                await self.app(scope, receive, self._sender(ctx, send))
            except Exception as exc:
                if ctx.status_code is not None:
                    log.exception("error in request %s %s after its response started", ctx.method, ctx.path)
                    raise  # the response had started: nothing sane can be sent any more
                await self._respond(ctx, send, *(await self._error_response(ctx, exc)))
        finally:
            _current_request.reset(token)

    async def _error_response(
        self, ctx: RequestContext, exc: Exception
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """The app's own exception handler's answer (e.g. 503 for the database), else a 500."""
        for kind in type(exc).__mro__:
            handler = self.fastapi_app.exception_handlers.get(kind)
            if handler is not None and kind is not Exception:
                response = handler(None, exc)  # the handlers of core.errors ignore the request
                if inspect.isawaitable(response):
                    response = await response
                if hasattr(response, "raw_headers") and hasattr(response, "body"):
                    return response.status_code, list(response.raw_headers), bytes(response.body)
                break
        log.error("unhandled error in request %s %s", ctx.method, ctx.route or ctx.path, exc_info=exc)
        return _problem(500, "internal error; quote the request_id when reporting it", "internal-error")

    # --- admission -------------------------------------------------------------------------

    async def _admit(
        self, ctx: RequestContext, scope: Scope, headers: Headers
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        route, params = self._resolve(scope)
        if route is not None:
            ctx.route = route.path
            ctx.endpoint = route.endpoint
            ctx.path_params = params
            ctx.plugin = self.route_owner.get(id(route))
        principal = await self.host.gate("authenticate", app=self.fastapi_app, headers=headers)
        if principal is None:
            if bearer_token(headers) is None:
                return _problem(
                    401,
                    "send an API key: Authorization: Bearer <key>",
                    "unauthenticated",
                    extra_headers=[(b"www-authenticate", b'Bearer realm="modular-server"')],
                )
            return _problem(
                401,
                "the API key is unknown, revoked or malformed (expected Authorization: Bearer msk_...)",
                "invalid-api-key",
                extra_headers=[(b"www-authenticate", b'Bearer realm="modular-server", error="invalid_token"')],
            )
        ctx.principal = principal
        limiter = self.fastapi_app.state.rate_limiter
        if limiter is not None and (wait := await limiter.acquire(principal.name)) > 0:
            return _problem(
                429,
                "too many requests for this API key; slow down",
                "rate-limited",
                extra_headers=[(b"retry-after", retry_after(wait).encode())],
                retry_after_seconds=wait,
            )
        needed = scope_of(ctx.endpoint, ctx.method) if ctx.endpoint is not None else "read"
        if ctx.path.startswith("/api/v1/system/"):
            needed = "admin"
        if not principal.has(needed):
            return _problem(403, f"this operation needs the {needed!r} scope", "forbidden", required_scope=needed)
        ctx.extras["admin_action"] = needed == "admin" and ctx.method not in ("GET", "HEAD", "OPTIONS")
        unavailable = self._inactive_plugin(ctx)
        return None if unavailable is None else _plugin_unavailable(unavailable)

    def _resolve(self, scope: Scope) -> _Resolved:
        key = (scope["method"], scope["path"])
        found = self._routes.get(key)
        if found is None:
            found = (None, {})
            for route in self.fastapi_app.router.routes:
                match, child = route.matches(scope)
                if match is Match.FULL:
                    found = (route, child.get("path_params", {}))
                    break
            self._routes[key] = found
        return found

    def _inactive_plugin(self, ctx: RequestContext) -> Any:
        if ctx.plugin is not None:
            record = self.host.records.get(ctx.plugin)
            return None if record is None or record.state.serving else record
        if ctx.endpoint is not None:
            return None
        for record in self.host.records.values():
            if not record.state.serving and any(_under_prefix(ctx.path, p) for p in record.prefixes):
                return record
        return None

    # --- responses -------------------------------------------------------------------------

    async def _respond(
        self, ctx: RequestContext, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        await self._send_whole(ctx, send, ResponseInfo(status=status, headers=headers, body=body))

    async def _send_whole(self, ctx: RequestContext, send: Send, response: ResponseInfo) -> None:
        self._finish_headers(ctx, response)
        body = response.body or b""
        if response.status in (204, 304):
            # RFC 9110: no Content-Length in a 204, and in a 304 only the 200's length
            response.headers = [(k, v) for k, v in response.headers if k.lower() != b"content-length"]
        else:
            response.set_header("content-length", str(len(body)))
        await send({"type": "http.response.start", "status": response.status, "headers": response.headers})
        await send({"type": "http.response.body", "body": body})
        self._finished(ctx, response)

    def _finished(self, ctx: RequestContext, response: ResponseInfo) -> None:
        self.host.observe("request_finished", app=self.fastapi_app, ctx=ctx, response=response)
        if ctx.extras.get("admin_action") and response.status < 400:
            self.host.background(record_admin_action(self.fastapi_app.state.db, ctx, response.status))

    def _finish_headers(self, ctx: RequestContext, response: ResponseInfo) -> None:
        ctx.status_code = response.status
        self.host.observe("before_response", app=self.fastapi_app, ctx=ctx, response=response)
        ctx.status_code = response.status
        # a route or plugin may have set some of these already: each header is sent once
        present = {name.lower() for name, _ in response.headers}
        added = [(b"x-request-id", ctx.request_id.encode()), *SECURITY_HEADERS]
        response.headers.extend((name, value) for name, value in added if name not in present)

    def _sender(self, ctx: RequestContext, send: Send) -> Send:
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def wrapped(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                started["message"] = message
                if not ctx.buffer_response:
                    response = ResponseInfo(status=message["status"], headers=list(message.get("headers", ())))
                    self._finish_headers(ctx, response)
                    started["response"] = response
                    await send({**message, "status": response.status, "headers": response.headers})
                return
            if kind != "http.response.body":
                await send(message)
                return
            more = message.get("more_body", False)
            if not ctx.buffer_response:
                await send(message)
                if not more:
                    self._finished(ctx, started["response"])
                return
            chunks.append(message.get("body", b""))
            if more:
                return
            head = started["message"]
            whole = ResponseInfo(status=head["status"], headers=list(head.get("headers", ())), body=b"".join(chunks))
            await self._send_whole(ctx, send, whole)

        return wrapped


def _without_body(send: Send) -> Send:
    """``send`` for a HEAD request: the GET's status and headers (Content-Length too), no body."""

    async def head(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return head


def _problem(
    status: int, detail: str, slug: str, extra_headers: list[tuple[bytes, bytes]] | None = None, **extra: Any
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = problem_body(status, detail, slug=slug, **extra)
    headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    return status, headers + (extra_headers or []), body


def _plugin_unavailable(record: Any) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    return _problem(
        503,
        f"plugin {record.name!r} is {record.state.value}: {record.reason}",
        "plugin-unavailable",
        plugin=record.name,
        state=record.state.value,
        hint=record.hint,
        extra_headers=[(b"retry-after", b"60")],
    )


def _under_prefix(path: str, prefix: str) -> bool:
    """Whether ``path`` lies under ``prefix``; ``{name}`` segments of a prefix match any segment."""
    wanted = prefix.rstrip("/").split("/")
    given = path.rstrip("/").split("/")
    if len(given) < len(wanted):
        return False
    return all(w == g or (w.startswith("{") and w.endswith("}") and g) for w, g in zip(wanted, given, strict=False))
