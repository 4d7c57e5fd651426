"""lager: index the ledger by typ (GET /bewegungen?typ=inventur pages newest first; without
it a rare type scans the whole ledger backwards)

Revision ID: lager_0003
Revises: lager_0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "lager_0003"
down_revision: str | None = "lager_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_lagerbewegung_typ_id", "lagerbewegung", ["typ", "id"])


def downgrade() -> None:
    op.drop_index("ix_lagerbewegung_typ_id", table_name="lagerbewegung")
