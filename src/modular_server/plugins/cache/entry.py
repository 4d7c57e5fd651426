"""One cached response, ready to send, and its byte form in Redis."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import orjson

from modular_server.plugin import CachedResponse

_HEADER_LENGTH = struct.Struct(">I")
HIT = (b"x-cache", b"HIT")


@dataclass(slots=True)
class Entry:
    """A 200 response. ``hit`` and ``not_modified`` are built once, so a hit allocates nothing."""

    body: bytes
    content_type: bytes | None
    etag: str
    cache_control: bytes
    stored_at: float  # wall clock, shared by every process
    ttl: float
    hit: CachedResponse
    not_modified: CachedResponse

    @classmethod
    def build(
        cls, body: bytes, content_type: bytes | None, etag: str, cache_control: bytes, stored_at: float, ttl: float
    ) -> Entry:
        validators = [(b"etag", etag.encode()), (b"cache-control", cache_control), HIT]
        typed = [(b"content-type", content_type)] if content_type else []
        return cls(
            body=body,
            content_type=content_type,
            etag=etag,
            cache_control=cache_control,
            stored_at=stored_at,
            ttl=ttl,
            hit=CachedResponse(status=200, headers=typed + validators, body=body),
            not_modified=CachedResponse(status=304, headers=validators, body=b""),
        )

    @property
    def size(self) -> int:
        return len(self.body) + 256  # the rest of the entry, roughly

    def remaining(self, now: float) -> float:
        return self.stored_at + self.ttl - now


def encode(entry: Entry, generations: list[str]) -> bytes:
    """Header (JSON: validators, time, the tag generations it was computed under) + body."""
    header = orjson.dumps(
        {
            "c": entry.content_type.decode("latin-1") if entry.content_type else None,
            "e": entry.etag,
            "cc": entry.cache_control.decode("latin-1"),
            "t": entry.stored_at,
            "l": entry.ttl,
            "g": generations,
        }
    )
    return _HEADER_LENGTH.pack(len(header)) + header + entry.body


def decode(raw: bytes) -> tuple[Entry, list[str]]:
    (length,) = _HEADER_LENGTH.unpack_from(raw)
    start = _HEADER_LENGTH.size
    header = orjson.loads(raw[start : start + length])
    content_type = header["c"].encode("latin-1") if header["c"] else None
    entry = Entry.build(
        raw[start + length :], content_type, header["e"], header["cc"].encode("latin-1"), header["t"], header["l"]
    )
    return entry, header["g"]
