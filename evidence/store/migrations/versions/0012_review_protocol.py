"""review protocol: reviewers and blindness per claim set and per claim; verdict kinds

A claim set (``claim_sets.review_reviewers``, ``review_blind``) and a claim (the same
columns on ``claims``: NULL inherits the set's) say how many independent verdicts each study
needs and whether reviewers judge blind. A verdict row gets a ``kind``: ``verdict`` (a
reviewer's verdict, or the ``withdrawn`` row that takes one back, as before) or
``resolution`` (an editor's decision on a conflict), with the ``reason`` a resolution must
give. Existing rows are reviewer verdicts.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

REVIEWED = ("claim_sets", "claims")


def upgrade() -> None:
    # Plain ALTER TABLE ADD/DROP COLUMN (SQLite 3.35+ has both), not batch mode: recreating
    # ``claims`` on SQLite would drop 0010's data-generation triggers on it.
    for table in REVIEWED:
        op.add_column(table, sa.Column("review_reviewers", sa.Integer(), nullable=True))
        op.add_column(table, sa.Column("review_blind", sa.Boolean(), nullable=True))
    op.add_column(
        "verdicts",
        sa.Column("kind", sa.String(length=20), nullable=False, server_default="verdict"),
    )
    op.add_column("verdicts", sa.Column("reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("verdicts", "reason")
    op.drop_column("verdicts", "kind")
    for table in reversed(REVIEWED):
        op.drop_column(table, "review_blind")
        op.drop_column(table, "review_reviewers")
