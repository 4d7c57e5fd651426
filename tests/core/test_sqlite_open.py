"""A SQLite file that cannot be opened leaves no aiosqlite worker thread behind, so a command
that ends right after the failure (its event loop closes) prints one error line, no thread
traceback."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from modular_server.core.sqlite_open import open_aiosqlite


def _threads() -> set[threading.Thread]:
    # the loop's own executor threads (asyncio_N) come and go with it
    return {t for t in threading.enumerate() if not t.name.startswith("asyncio_")}


def test_a_failed_open_has_ended_its_worker_thread(tmp_path: Path) -> None:
    before = _threads()

    async def attempt() -> None:
        with pytest.raises(sqlite3.OperationalError, match="unable to open database file"):
            await open_aiosqlite(str(tmp_path / "no" / "such" / "folder" / "x.db"))
        # checked while the loop still runs: the thread had nothing left to answer to it
        assert _threads() <= before

    asyncio.run(attempt())


async def test_an_opened_connection_works_and_does_not_hold_up_the_exit(tmp_path: Path) -> None:
    connection = await open_aiosqlite(str(tmp_path / "x.db"))
    try:
        async with connection.execute("SELECT 1") as cursor:
            assert await cursor.fetchone() == (1,)
        assert any(t.daemon for t in threading.enumerate() if t is not threading.current_thread())
    finally:
        await connection.close()
