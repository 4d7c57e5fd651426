"""Alembic environment shared by the core and every plugin.

Always run through :mod:`modular_server.core.migrator`, which hands over an open connection,
the version table of the plugin being migrated and the tables that plugin owns.
"""

import importlib
from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext

from modular_server.core.database import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run migrations with `modular-server db upgrade`, not the alembic command")
owned: set[str] = config.attributes["tables"]


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # Each plugin's history covers its own tables only; other plugins' tables are not drift.
    if type_ == "table":
        return name in owned
    table = getattr(obj, "table", None)
    return table is None or table.name in owned


# Read by name, not imported: the public API sits above the core and re-exports from it.
PUBLIC_API = "modular_server.plugin"


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render a column type that is not SQLAlchemy's together with its import, so that a
    generated migration runs as generated. Types of the public API are imported from there."""
    if type_ != "type":
        return False
    cls = type(obj)
    if cls.__module__.startswith("sqlalchemy.") or autogen_context.imports is None:
        return False  # Alembic renders (and imports) SQLAlchemy's own types
    public = importlib.import_module(PUBLIC_API)
    if getattr(public, cls.__name__, None) is cls:
        autogen_context.imports.add(f"from {PUBLIC_API} import {cls.__name__}")
        return repr(obj)
    autogen_context.imports.add(f"import {cls.__module__}")
    return f"{cls.__module__}.{obj!r}"


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=config.attributes["version_table"],
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
