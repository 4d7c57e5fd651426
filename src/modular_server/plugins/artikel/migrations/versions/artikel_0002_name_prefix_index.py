"""name prefix index: varchar_pattern_ops on PostgreSQL

Revision ID: artikel_0002
Revises: artikel_0001
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "artikel_0002"
down_revision: str | None = "artikel_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite serves the prefix filter (GLOB) from the plain index it already has.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_artikel_name", table_name="artikel")
    op.create_index("ix_artikel_name", "artikel", ["name"], postgresql_ops={"name": "varchar_pattern_ops"})


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_artikel_name", table_name="artikel")
    op.create_index("ix_artikel_name", "artikel", ["name"])
