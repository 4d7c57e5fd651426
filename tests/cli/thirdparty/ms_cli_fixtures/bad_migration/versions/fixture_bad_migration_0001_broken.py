"""A migration that cannot run."""

from collections.abc import Sequence

from alembic import op

revision: str = "fixture_bad_migration_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("fixture_bad_migration",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE no_such_table ADD COLUMN x INTEGER")


def downgrade() -> None:
    pass
