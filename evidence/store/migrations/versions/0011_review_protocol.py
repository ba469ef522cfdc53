"""review protocol: reviewers and blindness per claim set and per claim; verdict kinds

A claim set (``claim_sets.review_reviewers``, ``review_blind``) and a claim (the same
columns on ``claims``: NULL inherits the set's) say how many independent verdicts each study
needs and whether reviewers judge blind. A verdict row gets a ``kind``: ``verdict`` (a
reviewer's verdict, or the ``withdrawn`` row that takes one back, as before) or
``resolution`` (an editor's decision on a conflict), with the ``reason`` a resolution must
give. Existing rows are reviewer verdicts.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

REVIEWED = ("claim_sets", "claims")


def upgrade() -> None:
    for table in REVIEWED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("review_reviewers", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column("review_blind", sa.Boolean(), nullable=True))
    with op.batch_alter_table("verdicts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="verdict")
        )
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("verdicts", schema=None) as batch_op:
        batch_op.drop_column("reason")
        batch_op.drop_column("kind")
    for table in reversed(REVIEWED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("review_blind")
            batch_op.drop_column("review_reviewers")
