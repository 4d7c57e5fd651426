"""a revision that fails

Revision ID: faulty_migration_0001
Revises:
"""

from collections.abc import Sequence

revision: str = "faulty_migration_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("faulty_migration",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    raise RuntimeError("faulty revision refuses to run")


def downgrade() -> None:
    pass
