"""Typed SQLAlchemy 2.0 models. Every schema change goes through an Alembic migration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite drops the zone; we restore it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


JsonList = list[Any]
JsonDict = dict[str, Any]


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        JsonList: JSON,
        JsonDict: JSON,
        datetime: DateTime(timezone=True),
    }


# --- The health article and its claims -------------------------------------------------


class ClaimSet(Base):
    """One claims file: the health article under review."""

    __tablename__ = "claim_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    reviewed_on: Mapped[str | None] = mapped_column(String(40))
    file_path: Mapped[str | None] = mapped_column(Text)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]
    # The review protocol (NULL: the default, one reviewer, not blind).
    review_reviewers: Mapped[int | None] = mapped_column(Integer)
    review_blind: Mapped[bool | None] = mapped_column(Boolean)

    claims: Mapped[list[Claim]] = relationship(
        back_populates="claim_set", order_by="Claim.position"
    )


class Claim(Base):
    """A claim of the article, with its stable id (``key``) from the claims file."""

    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("claim_set_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_set_id: Mapped[int] = mapped_column(ForeignKey("claim_sets.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    statement: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The claim's own review protocol (NULL: the claim set's).
    review_reviewers: Mapped[int | None] = mapped_column(Integer)
    review_blind: Mapped[bool | None] = mapped_column(Boolean)

    claim_set: Mapped[ClaimSet] = relationship(back_populates="claims")
    queries: Mapped[list[Query]] = relationship(back_populates="claim", order_by="Query.position")


class ClaimStatement(Base):
    """A version of a claim's wording: verdicts are tied to the version they judged."""

    __tablename__ = "claim_statements"
    __table_args__ = (UniqueConstraint("claim_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class Query(Base):
    """A PubMed query of a claim, as currently defined in the claims file."""

    __tablename__ = "queries"
    __table_args__ = (UniqueConstraint("claim_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200))
    term: Mapped[str] = mapped_column(Text)
    mindate: Mapped[str | None] = mapped_column(String(20))
    maxdate: Mapped[str | None] = mapped_column(String(20))
    datetype: Mapped[str | None] = mapped_column(String(10))
    filters: Mapped[JsonList] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    claim: Mapped[Claim] = relationship(back_populates="queries")


# --- PubMed records --------------------------------------------------------------------


class Article(Base):
    """A PubMed record, keyed by PMID. Child rows hold authors, types, MeSH and links."""

    __tablename__ = "articles"

    pmid: Mapped[str] = mapped_column(String(20), primary_key=True)
    pmid_version: Mapped[int] = mapped_column(Integer, default=1)
    record_type: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    abstract_sections: Mapped[JsonList] = mapped_column(default=list)
    journal: Mapped[str | None] = mapped_column(Text)
    journal_abbrev: Mapped[str | None] = mapped_column(Text)
    issn: Mapped[str | None] = mapped_column(String(20))
    volume: Mapped[str | None] = mapped_column(String(100))
    issue: Mapped[str | None] = mapped_column(String(100))
    pages: Mapped[str | None] = mapped_column(String(100))
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    pub_date: Mapped[str | None] = mapped_column(String(100))
    doi: Mapped[str | None] = mapped_column(Text, index=True)
    pmc: Mapped[str | None] = mapped_column(String(40))
    languages: Mapped[JsonList] = mapped_column(default=list)
    keywords: Mapped[JsonList] = mapped_column(default=list)
    medline_status: Mapped[str | None] = mapped_column(String(40))
    design: Mapped[str | None] = mapped_column(String(40), index=True)
    evidence_level: Mapped[int | None] = mapped_column(Integer, index=True)
    design_label: Mapped[str | None] = mapped_column(Text)
    grade_reason: Mapped[str | None] = mapped_column(Text)
    grade_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    flags: Mapped[JsonList] = mapped_column(default=list, server_default="[]")
    # Where each PubMed flag comes from ([{flag, source, detail}]); NULL: not graded so yet.
    flag_sources: Mapped[JsonList | None] = mapped_column(JSON(none_as_null=True))
    # Retraction Watch notices matched to this record ([{flag, nature, date, record_id, ...}]).
    notices: Mapped[JsonList] = mapped_column(default=list, server_default="[]")
    rules_version: Mapped[str | None] = mapped_column(String(20))
    record_sha256: Mapped[str] = mapped_column(String(64))
    raw_xml: Mapped[bytes] = mapped_column(LargeBinary)
    first_stored_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # When the record was last known current (fetched, or covered by a re-check).
    checked_at: Mapped[datetime | None]


class ArticleAuthor(Base):
    """An author of a record, in order."""

    __tablename__ = "article_authors"

    pmid: Mapped[str] = mapped_column(
        ForeignKey("articles.pmid", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_name: Mapped[str | None] = mapped_column(Text)
    fore_name: Mapped[str | None] = mapped_column(Text)
    initials: Mapped[str | None] = mapped_column(String(40))
    collective_name: Mapped[str | None] = mapped_column(Text)
    affiliations: Mapped[JsonList] = mapped_column(default=list)
    orcid: Mapped[str | None] = mapped_column(String(100))


class ArticlePublicationType(Base):
    """A publication type of a record (``Randomized Controlled Trial``...)."""

    __tablename__ = "article_publication_types"

    pmid: Mapped[str] = mapped_column(
        ForeignKey("articles.pmid", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, index=True)
    ui: Mapped[str | None] = mapped_column(String(20))


class ArticleMesh(Base):
    """A MeSH heading of a record."""

    __tablename__ = "article_mesh"

    pmid: Mapped[str] = mapped_column(
        ForeignKey("articles.pmid", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    descriptor: Mapped[str] = mapped_column(Text, index=True)
    ui: Mapped[str | None] = mapped_column(String(20))
    major: Mapped[bool] = mapped_column(Boolean, default=False)
    qualifiers: Mapped[JsonList] = mapped_column(default=list)
    major_qualifiers: Mapped[JsonList] = mapped_column(default=list)


class ArticleLink(Base):
    """A CommentsCorrections link (RetractionIn, ErratumIn, CommentIn...)."""

    __tablename__ = "article_links"

    pmid: Mapped[str] = mapped_column(
        ForeignKey("articles.pmid", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref_type: Mapped[str] = mapped_column(String(60), index=True)
    ref_pmid: Mapped[str | None] = mapped_column(String(20))
    ref_source: Mapped[str | None] = mapped_column(Text)


# --- Runs: what was searched, when, and what PubMed answered --------------------------


class RefreshRun(Base):
    """One ``evidence refresh``: a batch of search runs over a claims file."""

    __tablename__ = "refresh_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_set_id: Mapped[int] = mapped_column(ForeignKey("claim_sets.id"))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # running | ok | incomplete | failed | interrupted
    status: Mapped[str] = mapped_column(String(20))
    tool_version: Mapped[str] = mapped_column(String(40))
    claims_file: Mapped[str | None] = mapped_column(Text)
    claims_sha256: Mapped[str | None] = mapped_column(String(64))
    source_kind: Mapped[str] = mapped_column(String(40), server_default="eutils")
    source_location: Mapped[str] = mapped_column(Text)  # a URL or a path
    source_snapshot: Mapped[str | None] = mapped_column(Text)  # a mirror's snapshot
    options: Mapped[JsonDict] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    # Who runs it, and its last sign of life: a refresh finding it still "running" with
    # its process gone marks it interrupted.
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    heartbeat_at: Mapped[datetime | None]


class SearchRun(Base):
    """One esearch of one query in a refresh, with PubMed's answer (provenance)."""

    __tablename__ = "search_runs"
    __table_args__ = (Index("ix_search_runs_query_started", "query_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    refresh_run_id: Mapped[int] = mapped_column(
        ForeignKey("refresh_runs.id", ondelete="CASCADE"), index=True
    )
    query_id: Mapped[int] = mapped_column(ForeignKey("queries.id"))
    term: Mapped[str] = mapped_column(Text)
    params: Mapped[JsonDict] = mapped_column(default=dict)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))  # ok | incomplete | failed
    count: Mapped[int | None] = mapped_column(Integer)
    retrieved: Mapped[int] = mapped_column(Integer, default=0)
    new_pmids: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    query_translation: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[JsonList] = mapped_column(default=list)
    errors: Mapped[JsonList] = mapped_column(default=list)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[JsonList] = mapped_column(default=list)
    slices: Mapped[JsonList] = mapped_column(default=list)
    unresolved: Mapped[JsonDict] = mapped_column(default=dict)  # pmid -> reason
    pmid_set_sha256: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)


class SearchRunPmid(Base):
    """Which search run found which PMID (at which rank)."""

    __tablename__ = "search_run_pmids"

    search_run_id: Mapped[int] = mapped_column(
        ForeignKey("search_runs.id", ondelete="CASCADE"), primary_key=True
    )
    pmid: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class ClaimArticle(Base):
    """The link claim -> study: found by the claim's latest runs (``active``) or earlier."""

    __tablename__ = "claim_articles"

    claim_id: Mapped[int] = mapped_column(
        ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True
    )
    pmid: Mapped[str] = mapped_column(ForeignKey("articles.pmid"), primary_key=True, index=True)
    first_run_id: Mapped[int] = mapped_column(ForeignKey("refresh_runs.id"))
    last_run_id: Mapped[int] = mapped_column(ForeignKey("refresh_runs.id"))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Machine annotations (evidence.stance), recomputed when their version changes:
    relevance: Mapped[float | None] = mapped_column(Float)
    key_sentence: Mapped[str | None] = mapped_column(Text)
    key_section: Mapped[str | None] = mapped_column(String(80))
    suggested_stance: Mapped[str | None] = mapped_column(String(20))
    stance_sentence: Mapped[str | None] = mapped_column(Text)
    stance_cues: Mapped[JsonList] = mapped_column(default=list, server_default="[]")
    stance_version: Mapped[str | None] = mapped_column(String(20))


class DataGeneration(Base):
    """One row whose counter triggers bump on any change to records, links or claims
    (migration 0010), so caches of what those hold know when to rebuild."""

    __tablename__ = "data_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)


# --- Reviewer verdicts ----------------------------------------------------------------------


class Verdict(Base):
    """A reviewer's verdict on a claim-study pair. Append-only: a change is a new row."""

    __tablename__ = "verdicts"
    __table_args__ = (Index("ix_verdicts_claim_pmid", "claim_id", "pmid", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    pmid: Mapped[str] = mapped_column(ForeignKey("articles.pmid"))
    verdict: Mapped[str] = mapped_column(String(20))
    reviewer: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    record_sha256: Mapped[str] = mapped_column(String(64))  # the record as it was judged
    flags_at_review: Mapped[JsonList] = mapped_column(default=list)
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("claim_statements.id"))
    # verdict (a reviewer's, or the withdrawn row of an undo) | resolution (an editor's)
    kind: Mapped[str] = mapped_column(String(20), default="verdict", server_default="verdict")
    reason: Mapped[str | None] = mapped_column(Text)  # why a resolution decided so


# --- Desk accounts ------------------------------------------------------------------------


class User(Base):
    """A desk account. Only the password's Argon2 hash is stored; ``generation`` grows at
    every change that must end the account's sessions (password, disabling, role)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('reviewer', 'editor', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- Re-checks of linked records, and what they changed -----------------------------------


class Recheck(Base):
    """One re-check of a claim set's linked records, within a refresh run."""

    __tablename__ = "rechecks"

    id: Mapped[int] = mapped_column(primary_key=True)
    refresh_run_id: Mapped[int] = mapped_column(
        ForeignKey("refresh_runs.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))  # running | ok | failed
    mode: Mapped[str] = mapped_column(String(20))  # changed | all
    since: Mapped[str | None] = mapped_column(String(10))  # YYYY/MM/DD as sent
    until: Mapped[str | None] = mapped_column(String(10))
    method: Mapped[str | None] = mapped_column(String(20))  # uid-list | query-terms | none
    checked: Mapped[int] = mapped_column(Integer, default=0)  # linked records asked about
    revised: Mapped[int] = mapped_column(Integer, default=0)  # the source says revised
    refetched: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)  # records whose content changed
    requests: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)


class RecordChange(Base):
    """One field of one record that changed, when it was seen, and who said so."""

    __tablename__ = "record_changes"
    __table_args__ = (Index("ix_record_changes_pmid_detected", "pmid", "detected_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    refresh_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("refresh_runs.id", ondelete="CASCADE"), index=True
    )
    pmid: Mapped[str] = mapped_column(ForeignKey("articles.pmid"))
    field: Mapped[str] = mapped_column(String(40))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    source: Mapped[str] = mapped_column(String(40))  # PubMed | Retraction Watch
    detected_at: Mapped[datetime]


# --- Retraction Watch ---------------------------------------------------------------------


class RetractionLoad(Base):
    """One load of the Retraction Watch dataset; the newest one's notices are the current."""

    __tablename__ = "retraction_loads"

    id: Mapped[int] = mapped_column(primary_key=True)
    loaded_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(Text)  # file path or URL
    sha256: Mapped[str] = mapped_column(String(64))  # of the bytes read
    rows: Mapped[int] = mapped_column(Integer)
    notices: Mapped[int] = mapped_column(Integer)  # rows kept (with a DOI or a PMID)
    dataset_date: Mapped[str | None] = mapped_column(String(10))  # newest notice, ISO


class RetractionNotice(Base):
    """A Retraction Watch notice about an original paper (by DOI and/or PMID)."""

    __tablename__ = "retraction_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(
        ForeignKey("retraction_loads.id", ondelete="CASCADE"), index=True
    )
    record_id: Mapped[str] = mapped_column(String(40))
    original_doi: Mapped[str | None] = mapped_column(Text, index=True)  # lower-cased
    original_pmid: Mapped[str | None] = mapped_column(String(20), index=True)
    nature: Mapped[str] = mapped_column(String(40))
    notice_date: Mapped[str | None] = mapped_column(String(10))  # ISO date
    reasons: Mapped[JsonList] = mapped_column(default=list)
    retraction_doi: Mapped[str | None] = mapped_column(Text)
    retraction_pmid: Mapped[str | None] = mapped_column(String(20))


# The local PubMed mirror's tables (their own module, registered on the same metadata).
from evidence.store.mirror import models as _mirror_models  # noqa: E402, F401
