"""The record writer as it was before bulk tuples (Core executemany of dicts), kept as the
reference the bulk writer must match row for row (``tests/test_store_bulk.py``)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete
from sqlalchemy.orm import Session

from evidence.domain import records
from evidence.domain.audit import utcnow
from evidence.store.models import (
    Article,
    ArticleAuthor,
    ArticleLink,
    ArticleMesh,
    ArticlePublicationType,
)
from evidence.store.writes import Grades, stored_pmids
from tests.reference_upsert import chunks, insert_rows, upsert

CHILDREN = (ArticleAuthor, ArticlePublicationType, ArticleMesh, ArticleLink)


def store_articles(session: Session, articles: Sequence[records.Article], grades: Grades) -> int:
    """Upsert records with their grade columns, replace their child rows (dict rows)."""
    if not articles:
        return 0
    now = utcnow()
    rows = [{**grades[a.pmid], **article_row(a, now)} for a in articles]
    update_columns = [c for c in rows[0] if c not in ("pmid", "first_stored_at")]
    stored = stored_pmids(session, [a.pmid for a in articles])
    upsert(session, _table(Article), rows, keys=["pmid"], update=update_columns)
    for model in CHILDREN:
        for batch in chunks([a.pmid for a in articles if a.pmid in stored]):
            session.execute(delete(model).where(model.pmid.in_(batch)))
    for model, rows_of in zip(
        CHILDREN, (author_rows, type_rows, mesh_rows, link_rows), strict=True
    ):
        insert_rows(session, _table(model), [r for a in articles for r in rows_of(a)])
    return len(articles)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def article_row(article: records.Article, now: datetime) -> dict[str, Any]:
    return {
        "pmid": article.pmid,
        "pmid_version": article.pmid_version,
        "record_type": article.record_type,
        "title": article.title,
        "abstract": article.abstract,
        "abstract_sections": [
            {"text": s.text, "label": s.label, "nlm_category": s.nlm_category}
            for s in article.abstract_sections
        ],
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
        "checked_at": now,
    }


def author_rows(article: records.Article) -> list[dict[str, Any]]:
    return [
        {
            "pmid": article.pmid,
            "position": i,
            "last_name": a.last_name,
            "fore_name": a.fore_name,
            "initials": a.initials,
            "collective_name": a.collective_name,
            "affiliations": list(a.affiliations),
            "orcid": a.orcid,
        }
        for i, a in enumerate(article.authors)
    ]


def type_rows(article: records.Article) -> list[dict[str, Any]]:
    return [
        {"pmid": article.pmid, "position": i, "name": t.name, "ui": t.ui}
        for i, t in enumerate(article.publication_types)
    ]


def mesh_rows(article: records.Article) -> list[dict[str, Any]]:
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


def link_rows(article: records.Article) -> list[dict[str, Any]]:
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
