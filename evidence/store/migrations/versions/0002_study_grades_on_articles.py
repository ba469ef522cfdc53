"""study grades on articles

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 15:51:53.765218
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("design", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("evidence_level", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("design_label", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("grade_reason", sa.Text(), nullable=True))
        # Defaults let existing rows take the NOT NULL columns; refresh grades them afterwards
        # (rows whose rules_version is not the current one are re-graded from raw_xml).
        batch_op.add_column(
            sa.Column("grade_provisional", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("flags", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("rules_version", sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f("ix_articles_design"), ["design"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_articles_evidence_level"), ["evidence_level"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_evidence_level"))
        batch_op.drop_index(batch_op.f("ix_articles_design"))
        batch_op.drop_column("rules_version")
        batch_op.drop_column("flags")
        batch_op.drop_column("grade_provisional")
        batch_op.drop_column("grade_reason")
        batch_op.drop_column("design_label")
        batch_op.drop_column("evidence_level")
        batch_op.drop_column("design")
