"""The expiry job: releases reservations past ``gueltig_bis`` on an interval."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import FastAPI

from modular_server.plugins.reservierungen import service

log = logging.getLogger("modular_server.reservierungen")


class ExpiryJob:
    def __init__(self, app: FastAPI, interval: float) -> None:
        self.app = app
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval > 0:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run_once(self) -> int:
        released = await self.app.state.db.transaction(service.expire)
        if released:
            log.info("released %d expired reservations", len(released))
        return len(released)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.run_once()
            except Exception:  # the next round tries again; never kill the job
                log.exception("expiring reservations failed")
