"""The mirror's tables, in the ledger's database (migration 0009; MeSH entry terms: 0013).

The search index is not a model: ``mirror_fts`` is an FTS5 virtual table on SQLite and a
table with a ``tsvector`` column and a GIN index on PostgreSQL, both created by the migration
(see :func:`is_search_index`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evidence.store.models import Base, UTCDateTime

KEY = BigInteger().with_variant(Integer(), "sqlite")  # SQLite: the rowid itself
SEARCH_INDEX = "mirror_fts"


def is_search_index(table_name: str) -> bool:
    """True for the search index's tables (FTS5 makes shadow tables ``mirror_fts_*``)."""
    return table_name == SEARCH_INDEX or table_name.startswith(SEARCH_INDEX + "_")


class MirrorFileRow(Base):
    """A baseline or update file: loaded (``done``) or being loaded, with its progress."""

    __tablename__ = "mirror_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[str] = mapped_column(String(32))
    md5_checked: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(10))
    records_done: Mapped[int] = mapped_column(Integer, default=0)
    upserted: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MirrorRecordRow(Base):
    """One PMID version as the last file that held it gave it; ``key`` = PMID * 100 + version."""

    __tablename__ = "mirror_records"
    __table_args__ = (
        Index("ix_mirror_records_pmid", "pmid"),
        Index("ix_mirror_records_dp", "dp"),
        Index("ix_mirror_records_mdat", "mdat"),
    )

    key: Mapped[int] = mapped_column(KEY, primary_key=True, autoincrement=False)
    pmid: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)
    record_type: Mapped[str] = mapped_column(String(20))
    file_id: Mapped[int] = mapped_column(ForeignKey("mirror_files.id"))
    dp: Mapped[int | None] = mapped_column(Integer)
    edat: Mapped[int | None] = mapped_column(Integer)
    crdt: Mapped[int | None] = mapped_column(Integer)
    mdat: Mapped[int | None] = mapped_column(Integer)
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class MirrorDeletionRow(Base):
    """A tombstone: the PMID a DeleteCitation removed, and the file that removed it."""

    __tablename__ = "mirror_deletions"

    pmid: Mapped[int] = mapped_column(KEY, primary_key=True, autoincrement=False)
    file_id: Mapped[int] = mapped_column(ForeignKey("mirror_files.id"))


class MirrorMeshRow(Base):
    """A MeSH descriptor from NLM's descriptor file (``desc2025.xml``)."""

    __tablename__ = "mirror_mesh"

    ui: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    token: Mapped[str] = mapped_column(Text, index=True)


class MirrorMeshTreeRow(Base):
    """One tree number of a descriptor: ``C23.888.592.612`` -> ``D010146``."""

    __tablename__ = "mirror_mesh_trees"

    tree_number: Mapped[str] = mapped_column(String(120), primary_key=True)
    ui: Mapped[str] = mapped_column(String(12), index=True)


class MirrorMeshTermRow(Base):
    """An entry term of a descriptor, its heading included: "NMDA Receptors" -> ``D016194``
    (migration 0013). The desk marks a claim's headings' entry terms in abstracts."""

    __tablename__ = "mirror_mesh_terms"

    ui: Mapped[str] = mapped_column(String(12), primary_key=True)
    term: Mapped[str] = mapped_column(Text, primary_key=True)


class MirrorMetaRow(Base):
    """Settings of the mirror itself: the index version, the MeSH file loaded."""

    __tablename__ = "mirror_meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
