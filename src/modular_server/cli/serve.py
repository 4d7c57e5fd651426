"""`modular-server serve`: the API under uvicorn."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from modular_server.cli.output import CliError
from modular_server.cli.session import Session
from modular_server.core.logs import uvicorn_log_config
from modular_server.core.secret import InsecureSecretKey, require_own_secret

if TYPE_CHECKING:
    from fastapi import FastAPI


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--workers", type=int)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, session: Session) -> int:
    import uvicorn

    settings = session.settings
    workers = args.workers or settings.workers
    try:
        require_own_secret(settings, workers)
    except InsecureSecretKey as exc:
        raise CliError(str(exc), code=2) from exc
    # Each worker builds its own app from the environment; build one here first so that strict
    # mode, an unreachable database or a schema that is behind fail once, as one line, before
    # uvicorn forks workers (a worker's failing start-up would print a traceback per worker).
    asyncio.run(_preflight(session.app(routes=True)))
    uvicorn.run(
        "modular_server.core.app:app_factory",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=workers,
        log_level=settings.log_level,
        log_config=uvicorn_log_config(settings),
        proxy_headers=True,
        timeout_graceful_shutdown=30,
    )
    return 0


async def _preflight(app: FastAPI) -> None:
    """The database answers and its schema is current (migrated here when allowed)."""
    try:
        await app.state.migrator.ensure_current(app.state.settings.migrate_on_startup)
    finally:
        await app.state.db.dispose()
        if app.state.redis is not None:
            await app.state.redis.aclose()
