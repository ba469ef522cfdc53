"""machine annotations on claim links

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 16:12:50.364235
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claim_articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("relevance", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("key_sentence", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("key_section", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("suggested_stance", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("stance_sentence", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("stance_cues", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("stance_version", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("claim_articles", schema=None) as batch_op:
        batch_op.drop_column("stance_version")
        batch_op.drop_column("stance_cues")
        batch_op.drop_column("stance_sentence")
        batch_op.drop_column("suggested_stance")
        batch_op.drop_column("key_section")
        batch_op.drop_column("key_sentence")
        batch_op.drop_column("relevance")
