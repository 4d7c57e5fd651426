"""One line per bad core setting: which variable, what format it expects, what was wrong."""

from __future__ import annotations

import json
import os
import re
import types
import typing
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_settings import SettingsError

from modular_server.settings.core import ENV_PREFIX, Settings

_FIELD_OF_SETTINGS_ERROR = re.compile(r'field "([^"]+)"')


def describe_settings_error(exc: ValidationError | SettingsError) -> str:
    """A one-line explanation naming the environment variable and the expected format."""
    if isinstance(exc, ValidationError):
        lines = []
        for err in exc.errors(include_url=False, include_input=False):
            loc = tuple(str(part) for part in err["loc"])
            lines.append(f"{_variable(loc)} {_expectation(loc)}: {err['msg']}")
        return "; ".join(lines) or str(exc)
    match = _FIELD_OF_SETTINGS_ERROR.search(str(exc))
    if match is None:
        return str(exc)
    field = match.group(1)
    loc = _unparsable_variable(field) or (field,)
    return f"{_variable(loc)} {_expectation(loc)} (it is not valid JSON)"


def _variable(loc: tuple[str, ...]) -> str:
    return ENV_PREFIX + "__".join(loc).upper()


def _unparsable_variable(field: str) -> tuple[str, ...] | None:
    """The path of the variable under ``field`` whose JSON does not parse (pydantic-settings
    names only the top-level field)."""
    prefix = (ENV_PREFIX + field).upper()
    for name, value in sorted(os.environ.items()):
        upper = name.upper()
        if upper != prefix and not upper.startswith(prefix + "__"):
            continue
        try:
            json.loads(value)
        except ValueError:
            return tuple(part.lower() for part in upper[len(ENV_PREFIX) :].split("__"))
    return None


def _annotation(loc: tuple[str, ...]) -> Any:
    model: Any = Settings
    annotation: Any = None
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return annotation
        annotation = fields[part].annotation
        model = _unwrap(annotation)
    return annotation


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X``."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        return rest[0] if len(rest) == 1 else annotation
    return annotation


def _expectation(loc: tuple[str, ...]) -> str:
    annotation = _unwrap(_annotation(loc))
    origin = get_origin(annotation) or annotation
    if origin is list:
        example = '["cache"]' if loc[:1] == ("plugins",) else '["value"]'
        return f"must be a JSON list, e.g. {example}"
    if origin is dict or (isinstance(origin, type) and issubclass(origin, BaseModel)):
        return 'must be a JSON object, e.g. {"key": "value"}'
    if origin is bool:
        return "must be true or false"
    if origin is int:
        return "must be a whole number"
    if origin is float:
        return "must be a number"
    if origin is Literal:
        return "must be one of " + ", ".join(str(a) for a in get_args(annotation))
    return "is invalid"
