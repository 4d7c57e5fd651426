"""widget tables

Revision ID: widgets_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "widgets_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("widgets",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fake_widget_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fake_widget_group")),
        sa.UniqueConstraint("name", name=op.f("uq_fake_widget_group_name")),
    )
    op.create_table(
        "fake_widget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["fake_widget_group.id"], name=op.f("fk_fake_widget_group_id_fake_widget_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fake_widget")),
        sa.UniqueConstraint("name", name=op.f("uq_fake_widget_name")),
    )
    op.create_index(op.f("ix_fake_widget_group_id"), "fake_widget", ["group_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_fake_widget_group_id"), table_name="fake_widget")
    op.drop_table("fake_widget")
    op.drop_table("fake_widget_group")
