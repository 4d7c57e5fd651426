"""A tiny ASGI app for the harness tests: echoes a POST body's ``ref`` as ``id`` and answers
GET /status/{code} with that status; every answer carries ``X-Query-Count: 2``."""

from __future__ import annotations

import json

from starlette.types import Receive, Scope, Send


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    status, answer = 200, {"ok": True}
    if scope["method"] == "POST":
        status, answer = 201, {"id": json.loads(body)["ref"]}
    elif scope["path"].startswith("/status/"):
        status = int(scope["path"].rsplit("/", 1)[1])
    payload = json.dumps(answer).encode()
    headers = [(b"content-type", b"application/json"), (b"x-query-count", b"2"), (b"x-cache", b"HIT")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
