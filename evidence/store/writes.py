"""Write functions: claims, PubMed records, search runs, claim -> study links."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from evidence import grading
from evidence.domain import records
from evidence.domain.claims import ClaimsFile
from evidence.store.models import (
    Article,
    ArticleAuthor,
    ArticleLink,
    ArticleMesh,
    ArticlePublicationType,
    Claim,
    ClaimArticle,
    ClaimSet,
    Query,
    SearchRun,
    SearchRunPmid,
)
from evidence.store.upsert import chunks, insert_rows, upsert


def utcnow() -> datetime:
    """Now, in UTC (timestamps are stored timezone-aware)."""
    return datetime.now(UTC)


def pmid_set_sha256(pmids: Iterable[str]) -> str:
    """SHA-256 of a PMID set: sorted numerically, one per line (reproducible by hand)."""
    ordered = sorted(set(pmids), key=lambda p: (len(p), p))
    return hashlib.sha256("".join(f"{p}\n" for p in ordered).encode()).hexdigest()


# --- claims ------------------------------------------------------------------------------


def sync_claims(session: Session, claims_file: ClaimsFile) -> ClaimSet:
    """Store the claims file as it is now; claims and queries no longer in it become inactive."""
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
    session.flush()
    existing = {
        c.key: c for c in session.scalars(select(Claim).where(Claim.claim_set_id == claim_set.id))
    }
    for claim in existing.values():
        claim.active = False
    for position, spec in enumerate(claims_file.claims):
        claim = existing.get(spec.id) or Claim(claim_set_id=claim_set.id, key=spec.id)
        claim.statement, claim.section = spec.statement, spec.section
        claim.position, claim.active = position, True
        session.add(claim)
        session.flush()
        _sync_queries(session, claim, spec.queries)
    return claim_set


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


def store_articles(session: Session, articles: Sequence[records.Article]) -> int:
    """Upsert records and replace their child rows, in batches. Returns how many."""
    if not articles:
        return 0
    now = utcnow()
    rows = [_article_row(a, now) for a in articles]
    update_columns = [c for c in rows[0] if c not in ("pmid", "first_stored_at")]
    upsert(session, Article.__table__, rows, keys=["pmid"], update=update_columns)  # type: ignore[arg-type]
    pmids = [a.pmid for a in articles]
    for model in (ArticleAuthor, ArticlePublicationType, ArticleMesh, ArticleLink):
        for batch in chunks(pmids):
            session.execute(delete(model).where(model.pmid.in_(batch)))
    insert_rows(session, ArticleAuthor.__table__, _children(articles, _author_rows))  # type: ignore[arg-type]
    insert_rows(session, ArticlePublicationType.__table__, _children(articles, _type_rows))  # type: ignore[arg-type]
    insert_rows(session, ArticleMesh.__table__, _children(articles, _mesh_rows))  # type: ignore[arg-type]
    insert_rows(session, ArticleLink.__table__, _children(articles, _link_rows))  # type: ignore[arg-type]
    return len(articles)


def grade_columns(article: records.Article) -> dict[str, Any]:
    """The study grade and flags of a record, as stored on its row."""
    study = grading.grade(article)
    return {
        "design": study.design,
        "evidence_level": study.level,
        "design_label": study.label,
        "grade_reason": study.reason,
        "grade_provisional": study.provisional,
        "flags": sorted(str(f) for f in grading.flags(article)),
        "rules_version": study.rules_version,
    }


def regrade_stale(session: Session) -> int:
    """Grade again, from their raw XML, the records graded by other rules (or never)."""
    from evidence.sources.pubmed_xml.parser import parse_articles

    stale = select(Article.pmid, Article.raw_xml).where(
        (Article.rules_version != grading.RULES_VERSION) | (Article.rules_version.is_(None))
    )
    done = 0
    for batch in chunks(session.execute(stale).all()):
        rows = []
        for pmid, raw in batch:
            for article in parse_articles(b"<PubmedArticleSet>" + raw + b"</PubmedArticleSet>"):
                rows.append({"b_pmid": pmid, **grade_columns(article)})
        if rows:
            values: dict[str, Any] = {n: bindparam(n) for n in rows[0] if n != "b_pmid"}
            table = cast(Table, Article.__table__)
            stmt = update(table).where(table.c.pmid == bindparam("b_pmid"))
            session.connection().execute(stmt.values(values), rows)
            done += len(rows)
    return done


def _article_row(article: records.Article, now: datetime) -> dict[str, Any]:
    return {
        **grade_columns(article),
        "pmid": article.pmid,
        "pmid_version": article.pmid_version,
        "record_type": article.record_type,
        "title": article.title,
        "abstract": article.abstract,
        "abstract_sections": [asdict(s) for s in article.abstract_sections],
        "journal": article.journal,
        "journal_abbrev": article.journal_abbrev,
        "issn": article.issn,
        "volume": article.volume,
        "issue": article.issue,
        "pages": article.pages,
        "year": article.year,
        "pub_date": article.pub_date,
        "doi": article.doi,
        "pmc": article.pmc,
        "languages": list(article.languages),
        "keywords": list(article.keywords),
        "medline_status": article.medline_status,
        "record_sha256": hashlib.sha256(article.raw_xml).hexdigest(),
        "raw_xml": article.raw_xml,
        "first_stored_at": now,
        "updated_at": now,
    }


def _children(articles: Sequence[records.Article], rows_of: Any) -> list[dict[str, Any]]:
    return [row for article in articles for row in rows_of(article)]


def _author_rows(article: records.Article) -> list[dict[str, Any]]:
    return [
        {"pmid": article.pmid, "position": i, **asdict(a), "affiliations": list(a.affiliations)}
        for i, a in enumerate(article.authors)
    ]


def _type_rows(article: records.Article) -> list[dict[str, Any]]:
    return [
        {"pmid": article.pmid, "position": i, "name": t.name, "ui": t.ui}
        for i, t in enumerate(article.publication_types)
    ]


def _mesh_rows(article: records.Article) -> list[dict[str, Any]]:
    return [
        {
            "pmid": article.pmid,
            "position": i,
            "descriptor": m.descriptor,
            "ui": m.ui,
            "major": m.major,
            "qualifiers": list(m.qualifiers),
            "major_qualifiers": list(m.major_qualifiers),
        }
        for i, m in enumerate(article.mesh_headings)
    ]


def _link_rows(article: records.Article) -> list[dict[str, Any]]:
    return [
        {
            "pmid": article.pmid,
            "position": i,
            "ref_type": c.ref_type,
            "ref_pmid": c.pmid,
            "ref_source": c.ref_source,
        }
        for i, c in enumerate(article.comments_corrections)
    ]


# --- search runs and links -------------------------------------------------------------------


def add_search_pmids(session: Session, run: SearchRun, pmids: Sequence[str]) -> None:
    """Record which PMIDs ``run`` retrieved, with their rank."""
    rows = [{"search_run_id": run.id, "pmid": p, "position": i} for i, p in enumerate(pmids)]
    insert_rows(session, SearchRunPmid.__table__, rows)  # type: ignore[arg-type]


def link_claim(session: Session, claim: Claim, refresh_id: int, pmids: Iterable[str]) -> None:
    """Make ``pmids`` (those stored) the claim's active studies; others become inactive."""
    present = stored_pmids(session, pmids)
    now = utcnow()
    rows = [
        {
            "claim_id": claim.id,
            "pmid": p,
            "first_run_id": refresh_id,
            "last_run_id": refresh_id,
            "first_seen_at": now,
            "last_seen_at": now,
            "active": True,
        }
        for p in sorted(present)
    ]
    session.execute(
        update(ClaimArticle).where(ClaimArticle.claim_id == claim.id).values(active=False)
    )
    upsert(
        session,
        ClaimArticle.__table__,  # type: ignore[arg-type]
        rows,
        keys=["claim_id", "pmid"],
        update=["last_run_id", "last_seen_at", "active"],
    )


def claim_by_key(session: Session, slug: str, key: str) -> Claim:
    """The claim ``key`` of the claim set ``slug``; the error lists the claims it has."""
    claim = session.scalar(
        select(Claim).join(ClaimSet).where(ClaimSet.slug == slug, Claim.key == key)
    )
    if claim is None:
        from evidence.domain.errors import UnknownClaimError

        known = session.scalars(
            select(Claim.key).join(ClaimSet).where(ClaimSet.slug == slug).order_by(Claim.position)
        )
        raise UnknownClaimError(
            f"unknown claim {key!r} for article {slug!r} (known: {', '.join(known)})"
        )
    return claim


def query_by_label(session: Session, claim_set_id: int, claim_key: str, label: str) -> Query:
    """The query ``label`` of claim ``claim_key`` (must exist: claims are synced first)."""
    return session.scalars(
        select(Query)
        .join(Claim)
        .where(Claim.claim_set_id == claim_set_id, Claim.key == claim_key, Query.label == label)
    ).one()
