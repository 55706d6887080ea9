"""the review queue: one row per flagged dossier, its reasons, and the name search

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_rows",
        sa.Column("dossier_id", sa.String(80), nullable=False),
        sa.Column("kab", sa.String(20), nullable=True),
        sa.Column("kec", sa.String(20), nullable=True),
        sa.Column("desa", sa.String(20), nullable=True),
        sa.Column("tps", sa.String(8), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_order", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("first_reason", sa.String(60), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("flagged_at", sa.String(40), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(20), nullable=True),
        sa.Column("decided_for", sa.String(40), nullable=True),
        sa.Column("decided", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("dossier_id", name="pk_queue_rows"),
    )
    # covering for the scope, the state and the status counts, and for the default order
    op.create_index("ix_queue_rows_area", "queue_rows",
                    ["kab", "kec", "desa", "tps", "decided", "status", "flagged_at", "dossier_id"])
    op.create_index("ix_queue_rows_flagged", "queue_rows", ["flagged_at", "dossier_id"])
    op.create_index("ix_queue_rows_open", "queue_rows", ["decided", "kab", "kec", "flagged_at"])
    op.create_table(
        "queue_reasons",
        sa.Column("dossier_id", sa.String(80), nullable=False),
        sa.Column("reason", sa.String(60), nullable=False),
        # the row's scope and state again, so the counts by reason need no join
        sa.Column("kab", sa.String(20), nullable=True),
        sa.Column("kec", sa.String(20), nullable=True),
        sa.Column("desa", sa.String(20), nullable=True),
        sa.Column("tps", sa.String(8), nullable=True),
        sa.Column("decided", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["queue_rows.dossier_id"], ondelete="CASCADE",
                                name="fk_queue_reasons_dossier_id"),
        sa.PrimaryKeyConstraint("dossier_id", "reason", name="pk_queue_reasons"),
    )
    op.create_index("ix_queue_reasons_reason", "queue_reasons", ["reason", "dossier_id"])
    op.create_index("ix_queue_reasons_area", "queue_reasons", ["kab", "kec", "desa", "tps", "decided", "reason"])
    if op.get_bind().dialect.name == "postgresql":  # fuzzy name search by trigrams (a LIKE on SQLite)
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_queue_rows_name_trgm ON queue_rows USING gin (name gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_queue_rows_name_trgm")
    op.drop_index("ix_queue_reasons_area", "queue_reasons")
    op.drop_index("ix_queue_reasons_reason", "queue_reasons")
    op.drop_table("queue_reasons")
    op.drop_index("ix_queue_rows_open", "queue_rows")
    op.drop_index("ix_queue_rows_flagged", "queue_rows")
    op.drop_index("ix_queue_rows_area", "queue_rows")
    op.drop_table("queue_rows")
