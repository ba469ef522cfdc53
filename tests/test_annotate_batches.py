"""Links annotated a batch at a time from the stored texts (not re-parsed XML), the same
annotations as from the parsed records; the store reads and writes behind it (SQLite and
PostgreSQL)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from sqlalchemy import select

from evidence import stance
from evidence.domain.audit import utcnow
from evidence.domain.claims import load_claims
from evidence.domain.records import Article, Author
from evidence.services import annotate
from evidence.services.annotate import annotate_links, annotation
from evidence.services.records import store_records
from evidence.sources.pubmed_xml.parser import parse_articles
from evidence.store import reads, verdicts, writes
from evidence.store.db import Database
from evidence.store.models import ArticleAuthor, ClaimArticle, RefreshRun
from tests.claims_files import BUNDLED
from tests.db_support import database_url, postgres_url  # noqa: F401  (store fixtures)
from tests.test_store import make_article

FIXTURES = Path(__file__).parent / "fixtures" / "pubmed"
CORPUS = Path(__file__).resolve().parents[2] / "shared/pubmed/corpus/efetch-distinct.xml.gz"
STATEMENT = "Ketamine infusions relieve chronic pain in adults."
TERMS = stance.query_terms('ketamine[tiab] AND "chronic pain"[mh]')


def fixture_records() -> list[Article]:
    names = ("ketamine_rct.xml", "varied_records.xml", "legacy_2005.xml", "book_chapters.xml")
    return [a for name in names for a in parse_articles((FIXTURES / name).read_bytes())]


def assert_texts_annotate_alike(db: Database, articles: list[Article]) -> None:
    with db.session(write=True) as s:
        store_records(s, articles)
    with db.session() as s:
        texts = {t.pmid: t for t in reads.link_texts(s, [a.pmid for a in articles])}
    assert set(texts) == {a.pmid for a in articles}
    read = ("title", "abstract", "abstract_sections", "keywords", "mesh_headings")
    for article in articles:
        for name in read:
            assert getattr(texts[article.pmid], name) == getattr(article, name), name
        stored = annotation(STATEMENT, TERMS, texts[article.pmid])
        assert stored == annotation(STATEMENT, TERMS, article), article.pmid


def test_stored_texts_annotate_like_the_parsed_record(database_url: str) -> None:  # noqa: F811
    db = Database(database_url)
    articles = fixture_records()
    assert any(a.mesh_headings for a in articles) and any(a.abstract_sections for a in articles)
    assert_texts_annotate_alike(db, articles)
    db.dispose()


@pytest.mark.shared
def test_stored_texts_annotate_like_the_parsed_corpus(tmp_path: Path) -> None:
    if not CORPUS.exists():
        pytest.skip(f"{CORPUS} is absent")
    db = Database(f"sqlite:///{tmp_path / 'corpus.db'}")
    articles = parse_articles(gzip.decompress(CORPUS.read_bytes()))[:600]
    assert_texts_annotate_alike(db, articles)
    db.dispose()


def _linked(db: Database, articles: list[Article]) -> int:
    """Store the records, link them all to claim nmda-blockade; its row id."""
    claims = load_claims(BUNDLED)
    with db.session(write=True) as s:
        claim_set = writes.sync_claims(s, claims)
        run = RefreshRun(
            claim_set_id=claim_set.id,
            started_at=utcnow(),
            status="ok",
            tool_version="t",
            source_kind="eutils",
            source_location="http://x/",
        )
        s.add(run)
        store_records(s, articles)
        s.flush()
        claim = writes.claim_by_key(s, claims.slug, "nmda-blockade")
        writes.link_claim(s, claim.id, run.id, [a.pmid for a in articles])
        return claim.id


def test_links_are_annotated_batch_by_batch(
    database_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(annotate, "BATCH", 2)
    db = Database(database_url)
    articles = fixture_records()
    claim_id = _linked(db, articles)
    with db.session(write=True) as s:
        assert writes.unannotated_links(s, claim_id, stance.VERSION) == sorted(
            a.pmid for a in articles
        )
        assert annotate_links(s, claim_id, STATEMENT, ['ketamine[tiab] AND "chronic pain"[mh]'])
    with db.session(write=True) as s:
        assert writes.unannotated_links(s, claim_id, stance.VERSION) == []
        assert annotate_links(s, claim_id, STATEMENT, []) == 0
        rows = {r.pmid: r for r in s.scalars(select(ClaimArticle))}
    for article in articles:
        expected = annotation(STATEMENT, TERMS, article)
        got = {name: getattr(rows[article.pmid], name) for name in expected}
        assert got == expected, article.pmid
    db.dispose()


def test_has_verdicts(database_url: str) -> None:  # noqa: F811
    db = Database(database_url)
    claim_id = _linked(db, [make_article("1")])
    slug = load_claims(BUNDLED).slug
    with db.session() as s:
        assert not reads.has_verdicts(s, slug)
    with db.session(write=True) as s:
        record = verdicts.linked_record(s, claim_id, "1")
        assert record is not None
        verdicts.add_verdict(s, claim_id, record, "supports", "ann", None)
    with db.session() as s:
        assert reads.has_verdicts(s, slug)
        assert not reads.has_verdicts(s, "another-article")
    db.dispose()


def test_a_batch_of_new_and_stored_records_replaces_only_the_stored_children(
    database_url: str,  # noqa: F811
) -> None:
    db = Database(database_url)
    with db.session(write=True) as s:
        store_records(s, [make_article("1")])
    with db.session(write=True) as s:
        store_records(s, [make_article("1", authors=(Author("Roe"),)), make_article("2")])
    with db.session() as s:
        authors = s.execute(
            select(ArticleAuthor.pmid, ArticleAuthor.last_name).order_by(
                ArticleAuthor.pmid, ArticleAuthor.position
            )
        ).all()
    assert [tuple(a) for a in authors] == [("1", "Roe"), ("2", "Smith"), ("2", None)]
    db.dispose()
