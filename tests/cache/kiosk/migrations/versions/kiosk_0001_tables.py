"""kiosk tables

Revision ID: kiosk_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "kiosk_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("kiosk",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kiosk_sorte",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_sorte")),
    )
    op.create_table(
        "kiosk_posten",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nummer", sa.String(length=50), nullable=False),
        sa.Column("sorte_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["sorte_id"], ["kiosk_sorte.id"], name=op.f("fk_kiosk_posten_sorte_id_kiosk_sorte")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_posten")),
    )
    op.create_index(op.f("ix_kiosk_posten_sorte_id"), "kiosk_posten", ["sorte_id"], unique=False)
    op.create_table(
        "kiosk_vorrat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("posten_id", sa.Integer(), nullable=False),
        sa.Column("menge", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["posten_id"], ["kiosk_posten.id"], name=op.f("fk_kiosk_vorrat_posten_id_kiosk_posten")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_vorrat")),
    )
    op.create_index(op.f("ix_kiosk_vorrat_posten_id"), "kiosk_vorrat", ["posten_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_kiosk_vorrat_posten_id"), table_name="kiosk_vorrat")
    op.drop_table("kiosk_vorrat")
    op.drop_index(op.f("ix_kiosk_posten_sorte_id"), table_name="kiosk_posten")
    op.drop_table("kiosk_posten")
    op.drop_table("kiosk_sorte")
