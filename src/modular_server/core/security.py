"""API keys and scopes.

A key looks like ``msk_<prefix>_<secret>``. The prefix finds the row; the secret's SHA-256
digest is compared in constant time. Keys are random 256-bit values, so a fast digest is the
right tool (a password KDF would only slow every request). Verified keys are remembered in
process for ``api_key_cache_seconds``; revocation through this process forgets them at once,
revocation from another process takes effect within that TTL. Requests that present the same
unverified key at once share one lookup (a worker's first burst would otherwise run one per
request, each on a pool connection of its own).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cachetools import TTLCache
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.core.errors import Conflict, NotFound, Unprocessable
from modular_server.core.models import ApiKey
from modular_server.core.singleflight import SingleFlight
from modular_server.hooks import Principal, hookimpl

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.datastructures import Headers

    from modular_server.core.database import Database

SCOPES = ("read", "write", "admin")
KEY_PREFIX = "msk"


def scopes_of(scope: str) -> frozenset[str]:
    """A key's scope includes the weaker ones: admin > write > read."""
    return frozenset(SCOPES[: SCOPES.index(scope) + 1])


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedKey:
    id: int
    name: str
    scope: str
    token: str


class KeyStore:
    """Creates, verifies, lists and revokes API keys; owned by the app."""

    def __init__(self, db: Database, ttl: float) -> None:
        self.db = db
        self._verified: TTLCache[str, Principal | None] = (
            TTLCache(maxsize=4096, ttl=ttl) if ttl > 0 else TTLCache(maxsize=1, ttl=1e-9)
        )
        self._lookups: SingleFlight[str, Principal | None] = SingleFlight()
        # bumped by every change of the keys: a lookup that started before it must not
        # remember its (possibly revoked) result
        self._generation = 0

    async def create(self, name: str, scope: str, *, replace: bool = False) -> IssuedKey:
        if scope not in SCOPES:
            raise Unprocessable("scope", f"must be one of {', '.join(SCOPES)}")
        if not name or len(name) > 100:
            raise Unprocessable("name", "must be 1 to 100 characters")
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)

        async def work(session):  # type: ignore[no-untyped-def]
            existing = await session.scalar(select(ApiKey).where(ApiKey.name == name))
            if existing is not None:
                if not replace:
                    raise Conflict(f"a key named {name!r} exists", slug="key-exists")
                await session.delete(existing)
                await session.flush()
            key = ApiKey(name=name, prefix=prefix, digest=_digest(secret), scope=scope)
            session.add(key)
            await session.flush()
            return key.id

        key_id = await self.db.transaction(work)
        self._forget_verified()
        return IssuedKey(id=key_id, name=name, scope=scope, token=f"{KEY_PREFIX}_{prefix}_{secret}")

    async def revoke(self, name: str) -> None:
        async def work(session):  # type: ignore[no-untyped-def]
            result = await session.execute(
                update(ApiKey)
                .where(ApiKey.name == name, ApiKey.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
            if result.rowcount == 0:
                raise NotFound("active api key", name)

        await self.db.transaction(work)
        self._forget_verified()

    async def list(self, session: AsyncSession | None = None) -> list[ApiKey]:
        """Every key (revoked ones too); reads through ``session`` when given (e.g. a replica)."""
        if session is not None:
            return list(await session.scalars(select(ApiKey).order_by(ApiKey.name)))
        async with self.db.session() as own:
            return list(await own.scalars(select(ApiKey).order_by(ApiKey.name)))

    async def verify(self, token: str) -> Principal | None:
        cache_key = _digest(token)
        if cache_key in self._verified:
            return self._verified[cache_key]
        generation = self._generation
        principal = await self._lookups.run(cache_key, lambda: self._lookup(token))
        if generation == self._generation:
            self._verified[cache_key] = principal
        return principal

    def _forget_verified(self) -> None:
        self._generation += 1
        self._verified.clear()
        self._lookups.forget()

    async def _lookup(self, token: str) -> Principal | None:
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            return None
        _, prefix, secret = parts
        async with self.db.session() as session:
            key = await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        if key is None or key.revoked_at is not None:
            return None
        if not hmac.compare_digest(key.digest, _digest(secret)):
            return None
        return Principal(name=key.name, scopes=scopes_of(key.scope), key_id=key.id)


def bearer_token(headers: Headers) -> str | None:
    value = headers.get("authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class ApiKeyAuthentication:
    """The core's ``authenticate`` implementation; runs after plugins' own (trylast)."""

    @hookimpl(trylast=True)
    async def authenticate(self, app: FastAPI, headers: Headers) -> Principal | None:
        token = bearer_token(headers)
        if token is None or len(token) > 200:
            return None
        return await app.state.keys.verify(token)
