"""The configuration reference (``docs/configuration.md``), generated from the settings models.

``python -m modular_server.settings.reference > docs/configuration.md`` rewrites it; a test
compares the file with :func:`render`, so the reference and the models cannot drift apart.
The core's :class:`~modular_server.settings.core.Settings` comes first, then the model each
first-party plugin returns from its ``plugin_settings`` hook (found through the entry points,
so the core still never imports a plugin by name).
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from modular_server.hooks.markers import ENTRY_POINT_GROUP
from modular_server.settings.core import ENV_PREFIX, PluginSelection, Settings

FIRST_PARTY = "modular_server.plugins."


def first_party_plugin_settings() -> dict[str, type[BaseModel]]:
    """Plugin name -> settings model of every first-party plugin that declares one, by name."""
    models: dict[str, type[BaseModel]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if not entry.value.startswith(FIRST_PARTY):
            continue
        module = importlib.import_module(entry.module)
        hook = getattr(module, "plugin_settings", None)
        model = hook() if hook is not None else None
        if model is not None:
            models[entry.name] = model
    return dict(sorted(models.items()))


_FIELD_LINE = re.compile(r"^\s+(\w+)\s*:")


def comment_docs(model: type[BaseModel]) -> dict[str, str]:
    """The ``#:`` comments above the fields in the model's source (Sphinx's convention), by field."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        pending: list[str] = []
        for line in inspect.getsource(cls).splitlines():
            stripped = line.strip()
            if stripped.startswith("#:"):
                pending.append(stripped[2:].strip())
                continue
            match = _FIELD_LINE.match(line)
            if match and pending:
                docs[match.group(1)] = " ".join(pending)
            pending = []
    return docs


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if not getattr(annotation, "__args__", None) else None
    text = text or repr(annotation)
    text = re.sub(r"\b(typing|pathlib|pydantic\.types|pydantic)\.", "", text)
    return text.replace("NoneType", "None")


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    elif field.is_required():
        return "required"
    else:
        value = field.default
    if isinstance(value, SecretStr):
        return "(secret)"
    text = json.dumps(to_jsonable_python(value), ensure_ascii=False)
    return f"`{text}`".replace("|", "\\|")


def _rows(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, str, str, str]]:
    comments = comment_docs(model)
    for name, field in model.model_fields.items():
        if field.annotation is PluginSelection:
            yield from _rows(PluginSelection, f"{prefix}{name}__")
            continue
        meaning = (field.description or comments.get(name, "")).replace("``", "`").replace("|", "\\|")
        yield f"{prefix}{name}", _type_name(field.annotation).replace("|", "\\|"), _default(field), meaning


def _table(model: type[BaseModel], namespace: str) -> list[str]:
    lines = ["| setting | environment variable | type | default | meaning |", "| --- | --- | --- | --- | --- |"]
    for name, type_name, default, meaning in _rows(model):
        variable = f"{ENV_PREFIX}{namespace}{name}".upper()
        lines.append(f"| `{name}` | `{variable}` | `{type_name}` | {default} | {meaning} |")
    return lines


INTRODUCTION = """\
Settings come from, in this precedence: environment variables `MODULAR_SERVER_*` (nested with
`__`), a `.env` file in the working directory, a TOML file (`modular-server.toml` in the working
directory, or the path in `MODULAR_SERVER_CONFIG`), the defaults below. The repository ships
`modular-server.toml.example` and `.env.example` to start from.

Lists and tables are written as JSON in the environment, e.g.
`MODULAR_SERVER_PLUGINS__DISABLED='["anomaly"]'`; in the TOML file they are TOML
(`[plugins]` / `disabled = ["anomaly"]`). Each plugin reads its own namespace: the `[<plugin>]`
table of the TOML file and the variables `MODULAR_SERVER_<PLUGIN>__<FIELD>`.

A plugin's settings are validated before it is set up; an invalid value makes that plugin
`invalid_config` with pydantic's message, never a crash of the server. Secrets (`SecretStr`)
never appear in any output. `auto_migrate` unset means: on for SQLite, off otherwise."""


def render() -> str:
    lines = [
        "# Configuration",
        "",
        "<!-- generated by `python -m modular_server.settings.reference > docs/configuration.md`;"
        " do not edit: the settings models are the source -->",
        "",
        INTRODUCTION,
        "",
        "## Core",
        "",
        "Model `modular_server.settings.core.Settings`.",
        "",
        *_table(Settings, ""),
        "",
    ]
    for plugin, model in first_party_plugin_settings().items():
        lines += [
            f"## Plugin `{plugin}`",
            "",
            f"The `[{plugin}]` table, the variables `{ENV_PREFIX}{plugin.upper()}__*`;"
            f" model `{model.__module__}.{model.__qualname__}`.",
            "",
            *_table(model, f"{plugin}__"),
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
