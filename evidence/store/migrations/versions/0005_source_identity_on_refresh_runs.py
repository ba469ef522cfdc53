"""source identity on refresh runs

Each refresh run records which source answered (kind, location, snapshot) instead of
only an E-utilities URL. Existing runs were all E-utilities runs: their URL is kept as the
location, with kind "eutils".

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("refresh_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source_kind", sa.String(length=40), server_default="eutils", nullable=False)
        )
        batch_op.add_column(sa.Column("source_location", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("source_snapshot", sa.Text(), nullable=True))
    op.execute("UPDATE refresh_runs SET source_location = eutils_url")
    with op.batch_alter_table("refresh_runs", schema=None) as batch_op:
        batch_op.alter_column("source_location", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("eutils_url")


def downgrade() -> None:
    with op.batch_alter_table("refresh_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("eutils_url", sa.Text(), nullable=True))
    op.execute("UPDATE refresh_runs SET eutils_url = source_location")
    with op.batch_alter_table("refresh_runs", schema=None) as batch_op:
        batch_op.alter_column("eutils_url", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("source_snapshot")
        batch_op.drop_column("source_location")
        batch_op.drop_column("source_kind")
