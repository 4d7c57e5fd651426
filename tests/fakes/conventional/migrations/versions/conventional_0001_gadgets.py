"""gadgets

Revision ID: conventional_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "conventional_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("conventional",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conv_gadget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conv_gadget")),
    )


def downgrade() -> None:
    op.drop_table("conv_gadget")
