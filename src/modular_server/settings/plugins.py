"""Loading one plugin's settings from its namespace: env > .env > TOML table > defaults."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import BaseModel

from modular_server.settings.core import ENV_PREFIX, Settings


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _decode(value: str | None) -> Any:
    # Lists and tables arrive as JSON, like pydantic-settings does for complex fields.
    if value is not None and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _namespace(variables: Mapping[str, str | None], plugin: str) -> dict[str, Any]:
    prefix = f"{ENV_PREFIX}{plugin}__".upper()
    found: dict[str, Any] = {}
    for key, value in variables.items():
        if not key.upper().startswith(prefix):
            continue
        path = key[len(prefix) :].lower().split("__")
        node = found
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _decode(value)
    return found


def plugin_settings_values(settings: Settings, plugin: str, env_file: Path = Path(".env")) -> dict[str, Any]:
    """The raw values of ``plugin``'s namespace, merged in precedence order."""
    values = settings.plugin_table(plugin)
    if env_file.is_file():
        values = _deep_merge(values, _namespace(dotenv_values(env_file), plugin))
    return _deep_merge(values, _namespace(os.environ, plugin))


def load_plugin_settings(model: type[BaseModel], settings: Settings, plugin: str) -> BaseModel:
    """Validate ``plugin``'s settings; raises pydantic.ValidationError on bad values."""
    return model.model_validate(plugin_settings_values(settings, plugin))
