"""MeSH entry terms: every term of every concept of a descriptor, its heading included

``mirror_mesh_terms`` (ui, term) is filled by ``evidence mirror load-mesh`` beside the tree;
the review desk marks the entry terms of a claim's ``[mh]`` headings ("NMDA Receptors" for
``"Receptors, N-Methyl-D-Aspartate"[mh]``). A MeSH file loaded before this migration had its
entry terms skipped: each descriptor's heading is copied in here, and loading the file again
gives the rest.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mirror_mesh_terms",
        sa.Column("ui", sa.String(length=12), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("ui", "term", name=op.f("pk_mirror_mesh_terms")),
    )
    op.execute("INSERT INTO mirror_mesh_terms (ui, term) SELECT ui, name FROM mirror_mesh")


def downgrade() -> None:
    op.drop_table("mirror_mesh_terms")
