"""`modular-server serve`: the API under uvicorn."""

from __future__ import annotations

import argparse

from fastapi import FastAPI

from modular_server.cli.output import CliError
from modular_server.core.app import create_app
from modular_server.core.secret import InsecureSecretKey, require_own_secret
from modular_server.settings import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--workers", type=int)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, app: FastAPI) -> int:
    import uvicorn

    settings: Settings = app.state.settings
    workers = args.workers or settings.workers
    try:
        require_own_secret(settings, workers)
    except InsecureSecretKey as exc:
        raise CliError(str(exc), code=2) from exc
    # Each worker builds its own app from the environment; build one here first so that strict
    # mode fails fast, before uvicorn forks workers.
    create_app(settings)
    uvicorn.run(
        "modular_server.core.app:app_factory",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=workers,
        log_level=settings.log_level,
        proxy_headers=True,
        timeout_graceful_shutdown=30,
    )
    return 0
