"""a local PubMed mirror: its files, records, tombstones, MeSH tree and search index

The search index is created here with raw SQL by dialect: an FTS5 virtual table on SQLite
(keeping its texts, so a record is removed by rowid and the database dumps and backs up like
any other), a table of tsvectors with a GIN index on PostgreSQL.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FIELDS = ("ti", "ab", "kw", "mh", "mj", "sh", "pt", "la", "au", "ta")


def upgrade() -> None:
    op.create_table(
        "mirror_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=False),
        sa.Column("md5_checked", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("records_done", sa.Integer(), nullable=False),
        sa.Column("upserted", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_files")),
        sa.UniqueConstraint("name", name=op.f("uq_mirror_files_name")),
    )
    op.create_table(
        "mirror_records",
        sa.Column("key", KEY, autoincrement=False, nullable=False),
        sa.Column("pmid", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=20), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("dp", sa.Integer(), nullable=True),
        sa.Column("edat", sa.Integer(), nullable=True),
        sa.Column("crdt", sa.Integer(), nullable=True),
        sa.Column("mdat", sa.Integer(), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["mirror_files.id"], name=op.f("fk_mirror_records_file_id_mirror_files")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_mirror_records")),
    )
    op.create_index("ix_mirror_records_pmid", "mirror_records", ["pmid"])
    op.create_index("ix_mirror_records_dp", "mirror_records", ["dp"])
    op.create_index("ix_mirror_records_mdat", "mirror_records", ["mdat"])
    op.create_table(
        "mirror_deletions",
        sa.Column("pmid", KEY, autoincrement=False, nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["mirror_files.id"],
            name=op.f("fk_mirror_deletions_file_id_mirror_files"),
        ),
        sa.PrimaryKeyConstraint("pmid", name=op.f("pk_mirror_deletions")),
    )
    op.create_table(
        "mirror_mesh",
        sa.Column("ui", sa.String(length=12), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("ui", name=op.f("pk_mirror_mesh")),
    )
    op.create_index(op.f("ix_mirror_mesh_token"), "mirror_mesh", ["token"])
    op.create_table(
        "mirror_mesh_trees",
        sa.Column("tree_number", sa.String(length=120), nullable=False),
        sa.Column("ui", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("tree_number", name=op.f("pk_mirror_mesh_trees")),
    )
    op.create_index(op.f("ix_mirror_mesh_trees_ui"), "mirror_mesh_trees", ["ui"])
    op.create_table(
        "mirror_meta",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_mirror_meta")),
    )
    if op.get_bind().dialect.name == "sqlite":
        columns = ", ".join(FIELDS)
        op.execute(
            f"CREATE VIRTUAL TABLE mirror_fts USING fts5({columns},"
            " columnsize=0, tokenize='unicode61 remove_diacritics 0')"
        )
    else:
        op.execute("CREATE TABLE mirror_fts (key BIGINT PRIMARY KEY, doc TSVECTOR NOT NULL)")
        op.execute("CREATE INDEX ix_mirror_fts_doc ON mirror_fts USING gin (doc)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS mirror_fts")
    op.drop_table("mirror_meta")
    op.drop_index(op.f("ix_mirror_mesh_trees_ui"), table_name="mirror_mesh_trees")
    op.drop_table("mirror_mesh_trees")
    op.drop_index(op.f("ix_mirror_mesh_token"), table_name="mirror_mesh")
    op.drop_table("mirror_mesh")
    op.drop_table("mirror_deletions")
    op.drop_index("ix_mirror_records_mdat", table_name="mirror_records")
    op.drop_index("ix_mirror_records_dp", table_name="mirror_records")
    op.drop_index("ix_mirror_records_pmid", table_name="mirror_records")
    op.drop_table("mirror_records")
    op.drop_table("mirror_files")
