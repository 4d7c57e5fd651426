"""monitoring tables

Revision ID: monitoring_0001
Revises:
Create Date: 2026-11-28 15:54:44.972029
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "monitoring_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("monitoring",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_n_plus_one",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("fingerprint_hash", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_n_plus_one")),
    )
    with op.batch_alter_table("monitoring_n_plus_one", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monitoring_n_plus_one_occurred_at"), ["occurred_at"], unique=False)

    op.create_table(
        "monitoring_route_window",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("bucket_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("client_errors", sa.Integer(), nullable=False),
        sa.Column("server_errors", sa.Integer(), nullable=False),
        sa.Column("statements", sa.BigInteger(), nullable=False),
        sa.Column("max_statements", sa.Integer(), nullable=False),
        sa.Column("db_time_us", sa.BigInteger(), nullable=False),
        sa.Column("cache_hits", sa.Integer(), nullable=False),
        sa.Column("cache_misses", sa.Integer(), nullable=False),
        sa.Column("n_plus_one", sa.Integer(), nullable=False),
        sa.Column("slow_queries", sa.Integer(), nullable=False),
        sa.Column("latency", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_route_window")),
        sa.UniqueConstraint(
            "bucket_start",
            "worker",
            "method",
            "route",
            name=op.f("uq_monitoring_route_window_bucket_start_worker_method_route"),
        ),
    )
    op.create_table(
        "monitoring_slow_query",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=True),
        sa.Column("route", sa.String(length=300), nullable=True),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("fingerprint_hash", sa.String(length=16), nullable=False),
        sa.Column("duration_us", sa.BigInteger(), nullable=False),
        sa.Column("dialect", sa.String(length=20), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("plan_note", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_slow_query")),
    )
    with op.batch_alter_table("monitoring_slow_query", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monitoring_slow_query_occurred_at"), ["occurred_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("monitoring_slow_query", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitoring_slow_query_occurred_at"))

    op.drop_table("monitoring_slow_query")
    op.drop_table("monitoring_route_window")
    with op.batch_alter_table("monitoring_n_plus_one", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitoring_n_plus_one_occurred_at"))

    op.drop_table("monitoring_n_plus_one")
