"""Write functions: claims, PubMed records, search runs, claim -> study links."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from evidence.domain import records
from evidence.domain.audit import utcnow
from evidence.domain.claims import ClaimsFile, ReviewSpec
from evidence.domain.errors import UnknownClaimError
from evidence.store import bulk
from evidence.store.bulk import chunks
from evidence.store.models import (
    Article,
    ArticleAuthor,
    ArticleLink,
    ArticleMesh,
    ArticlePublicationType,
    Claim,
    ClaimArticle,
    ClaimSet,
    ClaimStatement,
    Query,
)

# --- claims ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncedClaims:
    """A stored claim set, and the claims whose statement changed (their new version)."""

    id: int
    reworded: dict[str, int]  # claim key -> new statement version (claims that had one)


def sync_claims(session: Session, claims_file: ClaimsFile) -> SyncedClaims:
    """Store the claims file as it is now; claims and queries no longer in it become inactive.

    A claim whose statement differs from its latest stored version gets a new version.
    """
    claim_set = session.scalar(select(ClaimSet).where(ClaimSet.slug == claims_file.slug))
    if claim_set is None:
        claim_set = ClaimSet(slug=claims_file.slug)
        session.add(claim_set)
    claim_set.title = claims_file.title
    claim_set.source = claims_file.source
    claim_set.url = claims_file.url
    claim_set.reviewed_on = claims_file.reviewed
    claim_set.file_path = str(claims_file.path)
    claim_set.file_sha256 = claims_file.sha256
    claim_set.updated_at = utcnow()
    _set_review(claim_set, claims_file.review)
    session.flush()
    existing = {
        c.key: c for c in session.scalars(select(Claim).where(Claim.claim_set_id == claim_set.id))
    }
    for claim in existing.values():
        claim.active = False
    versions = latest_statements(session, claim_set.id)
    reworded: dict[str, int] = {}
    for position, spec in enumerate(claims_file.claims):
        claim = existing.get(spec.id) or Claim(claim_set_id=claim_set.id, key=spec.id)
        claim.statement, claim.section = spec.statement, spec.section
        claim.position, claim.active = position, True
        _set_review(claim, spec.review)
        session.add(claim)
        session.flush()
        version = _version_statement(session, claim, versions.get(claim.id))
        if version is not None and version > 1:
            reworded[spec.id] = version
        _sync_queries(session, claim, spec.queries)
    return SyncedClaims(claim_set.id, reworded)


def _set_review(row: ClaimSet | Claim, spec: ReviewSpec) -> None:
    """Store what a claims file's ``[review]`` says; what it leaves out stays as stored
    (``claims set-review``)."""
    if spec.reviewers is not None:
        row.review_reviewers = spec.reviewers
    if spec.blind is not None:
        row.review_blind = spec.blind


def statement_sha256(text: str) -> str:
    """The hash of a claim's wording, as stored with each version."""
    return hashlib.sha256(text.encode()).hexdigest()


def latest_statements(session: Session, claim_set_id: int) -> dict[int, tuple[int, str]]:
    """Claim row id -> (latest statement version, its SHA-256), in one query."""
    latest = (
        select(ClaimStatement.claim_id, func.max(ClaimStatement.version).label("version"))
        .join(Claim, Claim.id == ClaimStatement.claim_id)
        .where(Claim.claim_set_id == claim_set_id)
        .group_by(ClaimStatement.claim_id)
        .subquery()
    )
    rows = session.execute(
        select(ClaimStatement.claim_id, ClaimStatement.version, ClaimStatement.sha256).join(
            latest,
            (latest.c.claim_id == ClaimStatement.claim_id)
            & (latest.c.version == ClaimStatement.version),
        )
    )
    return {claim_id: (version, sha) for claim_id, version, sha in rows}


def stored_statements(session: Session, slug: str) -> dict[str, tuple[int, str]]:
    """Claim key -> (latest stored statement version, its SHA-256) for article ``slug``."""
    set_id = session.scalar(select(ClaimSet.id).where(ClaimSet.slug == slug))
    if set_id is None:
        return {}
    rows = session.execute(select(Claim.id, Claim.key).where(Claim.claim_set_id == set_id))
    claims = {claim_id: key for claim_id, key in rows}
    latest = latest_statements(session, set_id)
    return {claims[claim_id]: version for claim_id, version in latest.items()}


def _version_statement(
    session: Session, claim: Claim, latest: tuple[int, str] | None
) -> int | None:
    """Store a new statement version when the wording changed; the new version, or None."""
    sha = statement_sha256(claim.statement)
    if latest is not None and latest[1] == sha:
        return None
    version = 1 if latest is None else latest[0] + 1
    session.add(
        ClaimStatement(
            claim_id=claim.id,
            version=version,
            text=claim.statement,
            sha256=sha,
            created_at=utcnow(),
        )
    )
    return version


def _sync_queries(session: Session, claim: Claim, specs: Sequence[Any]) -> None:
    existing = {
        q.label: q for q in session.scalars(select(Query).where(Query.claim_id == claim.id))
    }
    for query in existing.values():
        query.active = False
    for position, spec in enumerate(specs):
        query = existing.get(spec.label) or Query(claim_id=claim.id, label=spec.label)
        query.term, query.filters = spec.term, list(spec.filters)
        query.mindate, query.maxdate, query.datetype = spec.mindate, spec.maxdate, spec.datetype
        query.position, query.active = position, True
        session.add(query)
    session.flush()


# --- PubMed records ------------------------------------------------------------------------


def stored_pmids(session: Session, pmids: Iterable[str]) -> set[str]:
    """Which of ``pmids`` are already stored."""
    found: set[str] = set()
    for batch in chunks(pmids):
        found.update(session.scalars(select(Article.pmid).where(Article.pmid.in_(batch))))
    return found


Grades = Mapping[str, Mapping[str, Any]]  # pmid -> grade columns (see services.records)


def store_articles(session: Session, articles: Sequence[records.Article], grades: Grades) -> int:
    """Upsert records with their grade columns, replace their child rows. Returns how many.

    Rows are plain tuples written by :mod:`evidence.store.bulk` (a statement per table and
    page, not per row); the child rows of the batch's records are deleted first (a no-op for new
    records, cheaper than looking up which were stored).
    """
    if not articles:
        return 0
    now = utcnow()
    grade_names = tuple(grades[articles[0].pmid])
    grade_values = _getter(grade_names)
    rows = [_article_row(a, now) + grade_values(grades[a.pmid]) for a in articles]
    columns = ARTICLE_COLUMNS + grade_names
    update = [c for c in columns if c not in ("pmid", "first_stored_at")]
    bulk.insert_tuples(session, _table(Article), columns, rows, conflict=["pmid"], update=update)
    pmids = [a.pmid for a in articles]
    for model, child_columns, rows_of in CHILD_ROWS:
        table = _table(model)
        bulk.delete_keys(session, table, "pmid", pmids)
        child_rows = [row for article in articles for row in rows_of(article)]
        bulk.insert_tuples(session, table, child_columns, child_rows)
    return len(articles)


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _getter(names: Sequence[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function returning a mapping's values for ``names``, as a tuple."""
    if len(names) == 1:
        (name,) = names
        return lambda mapping: (mapping[name],)
    return cast(Callable[[Mapping[str, Any]], tuple[Any, ...]], itemgetter(*names))


def stale_grades(session: Session, rules_version: str) -> Iterable[list[tuple[str, bytes]]]:
    """(pmid, raw record XML) of the records graded by other rules (or never), in batches."""
    stale = select(Article.pmid, Article.raw_xml).where(
        (Article.rules_version != rules_version)
        | (Article.rules_version.is_(None))
        | (Article.flag_sources.is_(None))  # stored before flags named their sources
    )
    for batch in chunks(session.execute(stale).all()):
        yield [(pmid, raw) for pmid, raw in batch]


def update_grades(session: Session, grades: Grades) -> int:
    """Write new grade columns onto stored records (one executemany). Returns how many."""
    rows = [{"b_pmid": pmid, **columns} for pmid, columns in grades.items()]
    if not rows:
        return 0
    values: dict[str, Any] = {n: bindparam(n) for n in rows[0] if n != "b_pmid"}
    table = cast(Table, Article.__table__)
    stmt = update(table).where(table.c.pmid == bindparam("b_pmid"))
    session.connection().execute(stmt.values(values), rows)
    return len(rows)


ARTICLE_COLUMNS = (
    "pmid",
    "pmid_version",
    "record_type",
    "title",
    "abstract",
    "abstract_sections",
    "journal",
    "journal_abbrev",
    "issn",
    "volume",
    "issue",
    "pages",
    "year",
    "pub_date",
    "doi",
    "pmc",
    "languages",
    "keywords",
    "medline_status",
    "record_sha256",
    "raw_xml",
    "first_stored_at",
    "updated_at",
    "checked_at",
)


def _article_row(article: records.Article, now: datetime) -> tuple[Any, ...]:
    """A record's row, in the order of ``ARTICLE_COLUMNS`` (grade columns come apart)."""
    return (
        article.pmid,
        article.pmid_version,
        article.record_type,
        article.title,
        article.abstract,
        [
            {"text": s.text, "label": s.label, "nlm_category": s.nlm_category}
            for s in article.abstract_sections
        ],
        article.journal,
        article.journal_abbrev,
        article.issn,
        article.volume,
        article.issue,
        article.pages,
        article.year,
        article.pub_date,
        article.doi,
        article.pmc,
        article.languages,
        article.keywords,
        article.medline_status,
        hashlib.sha256(article.raw_xml).hexdigest(),
        article.raw_xml,
        now,
        now,
        now,
    )


# Child rows are tuples in their table's column order; JSON columns get the record's tuples
# as they are (stored as the same JSON text as lists).
AUTHOR_COLUMNS = (
    "pmid",
    "position",
    "last_name",
    "fore_name",
    "initials",
    "collective_name",
    "affiliations",
    "orcid",
)
TYPE_COLUMNS = ("pmid", "position", "name", "ui")
MESH_COLUMNS = ("pmid", "position", "descriptor", "ui", "major", "qualifiers", "major_qualifiers")
LINK_COLUMNS = ("pmid", "position", "ref_type", "ref_pmid", "ref_source")


def _author_rows(article: records.Article) -> list[tuple[Any, ...]]:
    pmid = article.pmid
    return [
        (pmid, i, a.last_name, a.fore_name, a.initials, a.collective_name, a.affiliations, a.orcid)
        for i, a in enumerate(article.authors)
    ]


def _type_rows(article: records.Article) -> list[tuple[Any, ...]]:
    pmid = article.pmid
    return [(pmid, i, t.name, t.ui) for i, t in enumerate(article.publication_types)]


def _mesh_rows(article: records.Article) -> list[tuple[Any, ...]]:
    pmid = article.pmid
    return [
        (pmid, i, m.descriptor, m.ui, m.major, m.qualifiers, m.major_qualifiers)
        for i, m in enumerate(article.mesh_headings)
    ]


def _link_rows(article: records.Article) -> list[tuple[Any, ...]]:
    pmid = article.pmid
    return [
        (pmid, i, c.ref_type, c.pmid, c.ref_source)
        for i, c in enumerate(article.comments_corrections)
    ]


RowsOf = Callable[[records.Article], list[tuple[Any, ...]]]
CHILD_ROWS: tuple[tuple[Any, tuple[str, ...], RowsOf], ...] = (
    (ArticleAuthor, AUTHOR_COLUMNS, _author_rows),
    (ArticlePublicationType, TYPE_COLUMNS, _type_rows),
    (ArticleMesh, MESH_COLUMNS, _mesh_rows),
    (ArticleLink, LINK_COLUMNS, _link_rows),
)


# --- search runs and links -------------------------------------------------------------------


LINK_CLAIM_COLUMNS = (
    "claim_id",
    "pmid",
    "first_run_id",
    "last_run_id",
    "first_seen_at",
    "last_seen_at",
    "active",
)


def link_claim(session: Session, claim_id: int, refresh_id: int, pmids: Iterable[str]) -> None:
    """Make ``pmids`` (those stored) the claim's active studies; others become inactive."""
    present = stored_pmids(session, pmids)
    now = utcnow()
    rows = [(claim_id, p, refresh_id, refresh_id, now, now, True) for p in sorted(present)]
    session.execute(
        update(ClaimArticle).where(ClaimArticle.claim_id == claim_id).values(active=False)
    )
    bulk.insert_tuples(
        session,
        _table(ClaimArticle),
        LINK_CLAIM_COLUMNS,
        rows,
        conflict=["claim_id", "pmid"],
        update=["last_run_id", "last_seen_at", "active"],
    )


def claim_by_key(session: Session, slug: str, key: str) -> Claim:
    """The claim ``key`` of the claim set ``slug``; the error lists the claims it has."""
    claim = session.scalar(
        select(Claim).join(ClaimSet).where(ClaimSet.slug == slug, Claim.key == key)
    )
    if claim is None:
        known = session.scalars(
            select(Claim.key).join(ClaimSet).where(ClaimSet.slug == slug).order_by(Claim.position)
        )
        raise UnknownClaimError.of("claim", key, known, f" for article {slug!r}")
    return claim


def claim_and_query_ids(
    session: Session, claim_set_id: int
) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Claim key -> row id, and (claim key, query label) -> query row id, in one query."""
    rows = session.execute(
        select(Claim.key, Claim.id, Query.label, Query.id)
        .join(Query, Query.claim_id == Claim.id, isouter=True)
        .where(Claim.claim_set_id == claim_set_id)
    )
    claims: dict[str, int] = {}
    queries: dict[tuple[str, str], int] = {}
    for key, claim_id, label, query_id in rows:
        claims[key] = claim_id
        if query_id is not None:
            queries[(key, label)] = query_id
    return claims, queries


# --- machine annotations of links --------------------------------------------------------------


def unannotated_links(
    session: Session,
    claim_id: int,
    version: str,
    *,
    after: str | None = None,
    limit: int | None = None,
) -> list[str]:
    """PMIDs of the claim's active links not annotated by ``version``, in PMID order (past
    ``after`` and at most ``limit`` of them, when given: a page)."""
    stmt = (
        select(ClaimArticle.pmid)
        .where(
            ClaimArticle.claim_id == claim_id,
            ClaimArticle.active.is_(True),
            (ClaimArticle.stance_version.is_(None)) | (ClaimArticle.stance_version != version),
        )
        .order_by(ClaimArticle.pmid)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(ClaimArticle.pmid > after)
    return list(session.scalars(stmt))


ANNOTATION_COLUMNS = (
    "relevance",
    "key_sentence",
    "key_section",
    "suggested_stance",
    "stance_sentence",
    "stance_cues",
    "stance_version",
)


def save_annotations(
    session: Session, claim_id: int, annotations: Mapping[str, Mapping[str, Any]]
) -> None:
    """Write machine annotations (pmid -> ANNOTATION_COLUMNS) onto the claim's links."""
    rows = [{"b_claim": claim_id, "b_pmid": pmid, **cols} for pmid, cols in annotations.items()]
    if not rows:
        return
    table = cast(Table, ClaimArticle.__table__)
    stmt = (
        update(table)
        .where(table.c.claim_id == bindparam("b_claim"), table.c.pmid == bindparam("b_pmid"))
        .values({name: bindparam(name) for name in ANNOTATION_COLUMNS})
    )
    for batch in chunks(rows):
        session.connection().execute(stmt, batch)
