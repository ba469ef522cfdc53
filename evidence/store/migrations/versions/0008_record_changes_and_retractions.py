"""re-checks of linked records, record changes, Retraction Watch notices

Adds ``rechecks`` (one per re-check of linked records in a refresh run), ``record_changes``
(field by field, with the run and the source that said so), ``retraction_loads`` and
``retraction_notices`` (the Retraction Watch dataset), and on ``articles``:
``flag_sources`` (where each PubMed flag comes from; NULL until graded so), ``notices``
(Retraction Watch notices matched to the record) and ``checked_at`` (when the record was
last known current; existing records: when they were last stored).

Revision ID: 0008
Revises: 0007 (the integrator sets 0007, written in parallel)
Create Date: 2026-11-30 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flag_sources", sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column("notices", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
    articles = sa.table(
        "articles",
        sa.column("checked_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    op.get_bind().execute(articles.update().values(checked_at=articles.c.updated_at))
    _create_recheck_tables()
    _create_retraction_tables()


def _create_recheck_tables() -> None:
    op.create_table(
        "rechecks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refresh_run_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("since", sa.String(length=10), nullable=True),
        sa.Column("until", sa.String(length=10), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=True),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("revised", sa.Integer(), nullable=False),
        sa.Column("refetched", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["refresh_run_id"],
            ["refresh_runs.id"],
            name=op.f("fk_rechecks_refresh_run_id_refresh_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rechecks")),
    )
    op.create_index(op.f("ix_rechecks_refresh_run_id"), "rechecks", ["refresh_run_id"])
    op.create_table(
        "record_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refresh_run_id", sa.Integer(), nullable=True),
        sa.Column("pmid", sa.String(length=20), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pmid"], ["articles.pmid"], name=op.f("fk_record_changes_pmid_articles")
        ),
        sa.ForeignKeyConstraint(
            ["refresh_run_id"],
            ["refresh_runs.id"],
            name=op.f("fk_record_changes_refresh_run_id_refresh_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_changes")),
    )
    op.create_index(op.f("ix_record_changes_refresh_run_id"), "record_changes", ["refresh_run_id"])
    op.create_index("ix_record_changes_pmid_detected", "record_changes", ["pmid", "detected_at"])


def _create_retraction_tables() -> None:
    op.create_table(
        "retraction_loads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("notices", sa.Integer(), nullable=False),
        sa.Column("dataset_date", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retraction_loads")),
    )
    op.create_table(
        "retraction_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("original_doi", sa.Text(), nullable=True),
        sa.Column("original_pmid", sa.String(length=20), nullable=True),
        sa.Column("nature", sa.String(length=40), nullable=False),
        sa.Column("notice_date", sa.String(length=10), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("retraction_doi", sa.Text(), nullable=True),
        sa.Column("retraction_pmid", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["load_id"],
            ["retraction_loads.id"],
            name=op.f("fk_retraction_notices_load_id_retraction_loads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retraction_notices")),
    )
    for column in ("load_id", "original_doi", "original_pmid"):
        op.create_index(op.f(f"ix_retraction_notices_{column}"), "retraction_notices", [column])


def downgrade() -> None:
    op.drop_table("retraction_notices")
    op.drop_table("retraction_loads")
    op.drop_table("record_changes")
    op.drop_table("rechecks")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("checked_at")
        batch_op.drop_column("notices")
        batch_op.drop_column("flag_sources")
