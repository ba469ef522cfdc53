"""claim statement versions; verdicts tied to the wording they judged

Every claim's statement is versioned (text and SHA-256, stored when it changes); a verdict
records the version it was given for. Existing claims get version 1 with their current
statement, and existing verdicts are tied to it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 05:00:00
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name=op.f("fk_claim_statements_claim_id_claims"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_statements")),
        sa.UniqueConstraint(
            "claim_id", "version", name=op.f("uq_claim_statements_claim_id_version")
        ),
    )
    with op.batch_alter_table("verdicts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("statement_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_verdicts_statement_id_claim_statements"),
            "claim_statements",
            ["statement_id"],
            ["id"],
        )
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    claims = sa.table("claims", sa.column("id"), sa.column("statement"))
    statements = sa.table(
        "claim_statements",
        sa.column("id"),
        sa.column("claim_id"),
        sa.column("version"),
        sa.column("text"),
        sa.column("sha256"),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    rows = [
        {
            "claim_id": claim_id,
            "version": 1,
            "text": text,
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "created_at": now,
        }
        for claim_id, text in bind.execute(sa.select(claims.c.id, claims.c.statement))
    ]
    if rows:
        bind.execute(statements.insert(), rows)
    verdicts = sa.table("verdicts", sa.column("claim_id"), sa.column("statement_id"))
    latest = (
        sa.select(statements.c.id)
        .where(statements.c.claim_id == verdicts.c.claim_id)
        .scalar_subquery()
    )
    bind.execute(verdicts.update().values(statement_id=latest))


def downgrade() -> None:
    with op.batch_alter_table("verdicts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_verdicts_statement_id_claim_statements"), type_="foreignkey"
        )
        batch_op.drop_column("statement_id")
    op.drop_table("claim_statements")
