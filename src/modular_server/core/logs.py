"""Logging set-up: text or one JSON object per line."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from modular_server.hooks.context import current_request
from modular_server.settings import Settings


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ctx = current_request()
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if ctx is not None:
            entry["request_id"] = ctx.request_id
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("modular_server")
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    root.propagate = False
    # aiosqlite logs every statement with its parameter values at DEBUG: never let it
    logging.getLogger("aiosqlite").setLevel(logging.INFO)


def uvicorn_log_config(settings: Settings) -> dict[str, Any]:
    """uvicorn's logging configuration (``uvicorn.run(log_config=...)``, applied in every
    worker): with ``log_format=json`` its server and access lines are JSON objects like ours;
    with text, uvicorn's own configuration."""
    if settings.log_format != "json":
        from uvicorn.config import LOGGING_CONFIG

        return LOGGING_CONFIG
    formatter = {"()": f"{JsonFormatter.__module__}.{JsonFormatter.__qualname__}"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": formatter},
        "handlers": {
            "default": {"formatter": "json", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
            "access": {"formatter": "json", "class": "logging.StreamHandler", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }
