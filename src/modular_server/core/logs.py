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
