"""lager: index bestand by artikel (availability and stock lists filter by it; the partial
unique indexes cannot serve a filter on artikel_id alone)

Revision ID: lager_0002
Revises: lager_0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "lager_0002"
down_revision: str | None = "lager_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_bestand_artikel_id", "bestand", ["artikel_id"])


def downgrade() -> None:
    op.drop_index("ix_bestand_artikel_id", table_name="bestand")
