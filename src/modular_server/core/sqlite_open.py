"""Opening an aiosqlite connection so that a failure leaves no thread behind.

aiosqlite runs each connection in a worker thread. When opening the file fails (a folder that
does not exist, no permission), it queues the thread's stop with a reply to the running event
loop that nobody awaits; a command that then ends (``asyncio.run`` closes its loop) races that
reply, and the thread dies with "Event loop is closed" on stderr. Waiting for the thread before
the failure is raised closes the race: the loop is still running while the thread replies.
"""

from __future__ import annotations

import asyncio
from threading import Thread
from typing import Any

import aiosqlite


def _worker(connection: aiosqlite.Connection) -> Thread:
    # the Connection was the thread itself before aiosqlite 0.22, it holds one since
    return connection if isinstance(connection, Thread) else connection._thread


async def open_aiosqlite(*args: Any, **kwargs: Any) -> aiosqlite.Connection:
    """``aiosqlite.connect(*args, **kwargs)``, awaited; its worker thread has ended if it fails."""
    opening = aiosqlite.connect(*args, **kwargs)
    worker = _worker(opening)
    # as SQLAlchemy's own aiosqlite adapter does: an open connection never holds up the exit
    worker.daemon = True
    try:
        return await opening
    except BaseException:
        await asyncio.to_thread(worker.join)
        raise
