"""One cached response and its wire form in Redis."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

# headers the core or this plugin set per response; everything else is replayed on a hit
_NOT_STORED = frozenset(
    {b"content-length", b"x-request-id", b"x-cache", b"date", b"server", b"set-cookie", b"etag", b"cache-control"}
)


@dataclass(frozen=True, slots=True)
class Entry:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    etag: str
    route: str
    tags: tuple[str, ...]
    #: the tag versions in Redis read before the handler ran (None: built without Redis)
    versions: tuple[int, ...] | None
    ttl: float

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 200

    def encode(self) -> bytes:
        head = {
            "s": self.status,
            "h": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in self.headers],
            "e": self.etag,
            "r": self.route,
            "t": list(self.tags),
            "v": list(self.versions or ()),
            "ttl": self.ttl,
        }
        return json.dumps(head, separators=(",", ":")).encode() + b"\n" + self.body

    @classmethod
    def decode(cls, raw: bytes) -> Entry:
        head_raw, _, body = raw.partition(b"\n")
        head = json.loads(head_raw)
        return cls(
            status=head["s"],
            headers=tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in head["h"]),
            body=body,
            etag=head["e"],
            route=head["r"],
            tags=tuple(head["t"]),
            versions=tuple(head["v"]),
            ttl=head["ttl"],
        )


def strong_etag(body: bytes) -> str:
    """Stable across workers and restarts: a digest of the bytes, nothing else."""
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def replayable_headers(headers: list[tuple[bytes, bytes]]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((k, v) for k, v in headers if k.lower() not in _NOT_STORED)


def cacheable(headers: list[tuple[bytes, bytes]]) -> bool:
    """A response that sets a cookie is someone's own; never share it."""
    return not any(k.lower() == b"set-cookie" for k, _ in headers)
