"""monshop tables (test plugin of the monitoring tests)

Revision ID: monshop_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "monshop_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("monshop",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monshop_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monshop_category")),
    )
    op.create_table(
        "monshop_widget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["monshop_category.id"], name=op.f("fk_monshop_widget_category_id_monshop_category")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monshop_widget")),
    )
    with op.batch_alter_table("monshop_widget", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monshop_widget_category_id"), ["category_id"], unique=False)


def downgrade() -> None:
    op.drop_table("monshop_widget")
    op.drop_table("monshop_category")
