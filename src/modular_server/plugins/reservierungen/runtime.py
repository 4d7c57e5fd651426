"""The expiry job: releases reservations past ``gueltig_bis`` on an interval."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from modular_server.plugin import Periodic, host_of
from modular_server.plugins.reservierungen import service

log = logging.getLogger("modular_server.reservierungen")


class ExpiryJob:
    def __init__(self, app: FastAPI, interval: float) -> None:
        self.app = app
        self.interval = interval
        self.loop = Periodic(
            interval, self.run_once, name="expire reservations", plugin="reservierungen", host=host_of(app)
        )

    def start(self) -> None:
        if self.interval > 0:  # 0: no loop (tests and workers that leave expiry to another)
            self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()

    async def run_once(self) -> int:
        released = await self.app.state.db.transaction(service.expire)
        if released:
            log.info("released %d expired reservations", len(released))
        return len(released)
