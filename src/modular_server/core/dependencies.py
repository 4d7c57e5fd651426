"""The data layer's FastAPI dependencies: the app's :class:`Database` and a read session.

Apart from :mod:`modular_server.core.database` so that the data layer loads without the web
framework (the command line's ``keys`` and ``db``); routes take them from the public API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from modular_server.core.database import Database


async def get_database(request: Request) -> Database:  # async: no hop to the thread pool
    return request.app.state.db


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Reads of safe methods may go to a read replica; anything else reads the primary."""
    reading = request.method in ("GET", "HEAD")
    async with request.app.state.db.session(replica=reading, autocommit=reading) as session:
        yield session


DatabaseDep = Annotated[Database, Depends(get_database)]
ReadSession = Annotated[AsyncSession, Depends(get_session)]
