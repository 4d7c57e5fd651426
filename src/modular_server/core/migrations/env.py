"""Alembic environment shared by the core and every plugin.

Always run through :mod:`modular_server.core.migrator`, which hands over an open connection,
the version table of the plugin being migrated and the tables that plugin owns.
"""

from typing import Any

from alembic import context

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


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=config.attributes["version_table"],
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
