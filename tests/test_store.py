"""The store: migrations, idempotent upserts, claims sync, links (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from evidence.claims import load_claims
from evidence.pubmed.records import (
    AbstractSection,
    Article,
    Author,
    CommentCorrection,
    MeshHeading,
    PublicationType,
)
from evidence.store import writes
from evidence.store.db import Database, current_revision, table_names
from evidence.store.models import (
    Article as ArticleRow,
)
from evidence.store.models import (
    ArticleAuthor,
    ArticleMesh,
    Claim,
    ClaimArticle,
    Query,
    RefreshRun,
)

BUNDLED = Path(__file__).resolve().parents[1] / "queries" / "ketamine-chronic-pain.toml"


def make_article(pmid: str, title: str = "A trial", **changes: object) -> Article:
    fields: dict[str, object] = {
        "pmid": pmid,
        "title": title,
        "abstract": "BACKGROUND: Pain. RESULTS: Less pain.",
        "abstract_sections": (
            AbstractSection("Pain.", "BACKGROUND", "BACKGROUND"),
            AbstractSection("Less pain.", "RESULTS", "RESULTS"),
        ),
        "journal": "Pain Medicine",
        "year": 2020,
        "doi": f"10.1000/{pmid}",
        "authors": (Author("Smith", "Jane", "J"), Author(collective_name="Ketamine Group")),
        "publication_types": (PublicationType("Randomized Controlled Trial", "D016449"),),
        "mesh_headings": (MeshHeading("Ketamine", "D007649", True, ("therapeutic use",)),),
        "comments_corrections": (CommentCorrection("RetractionIn", "999", "J 2021"),),
        "raw_xml": f"<PubmedArticle><PMID>{pmid}</PMID></PubmedArticle>".encode(),
    }
    fields.update(changes)
    return Article(**fields)  # type: ignore[arg-type]


def test_migrations_create_every_table(database_url: str) -> None:
    db = Database(database_url)
    assert current_revision(db.engine) == "0001"
    tables = set(table_names(db.engine))
    assert {"articles", "claims", "queries", "search_runs", "claim_articles"} <= tables
    Database(database_url)  # migrating again is a no-op
    db.dispose()


def test_store_articles_is_idempotent_and_replaces_children(database_url: str) -> None:
    db = Database(database_url)
    with db.session() as s:
        assert writes.store_articles(s, [make_article("1"), make_article("2")]) == 2
    with db.session() as s:
        writes.store_articles(s, [make_article("1", title="Corrected", authors=(Author("Roe"),))])
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ArticleRow)) == 2
        row = s.get(ArticleRow, "1")
        assert row is not None and row.title == "Corrected"
        assert row.abstract_sections[0] == {
            "text": "Pain.",
            "label": "BACKGROUND",
            "nlm_category": "BACKGROUND",
        }
        names = s.scalars(select(ArticleAuthor.last_name).where(ArticleAuthor.pmid == "1"))
        assert list(names) == ["Roe"]
        mesh = s.scalars(select(ArticleMesh).where(ArticleMesh.pmid == "2")).one()
        assert mesh.major and mesh.qualifiers == ["therapeutic use"]
        assert writes.stored_pmids(s, ["1", "2", "3"]) == {"1", "2"}
    db.dispose()


def test_sync_claims_and_links(database_url: str) -> None:
    db = Database(database_url)
    claims = load_claims(BUNDLED)
    with db.session() as s:
        claim_set = writes.sync_claims(s, claims)
        writes.sync_claims(s, claims)  # twice: no duplicates
        run = RefreshRun(
            claim_set_id=claim_set.id,
            started_at=writes.utcnow(),
            status="ok",
            tool_version="t",
            eutils_url="http://x/",
        )
        s.add(run)
        writes.store_articles(s, [make_article("1"), make_article("2")])
        s.flush()
        claim = writes.claim_by_key(s, claims.slug, "nmda-blockade")
        writes.link_claim(s, claim, run.id, ["1", "2", "404"])  # 404 is not stored
        writes.link_claim(s, claim, run.id, ["2"])
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Claim)) == len(claims.claims)
        n_queries = sum(len(c.queries) for c in claims.claims)
        assert s.scalar(select(func.count()).select_from(Query)) == n_queries
        links = {(link.pmid, link.active) for link in s.scalars(select(ClaimArticle))}
        assert links == {("1", False), ("2", True)}
    db.dispose()


def test_pmid_set_hash_is_order_free_and_reproducible() -> None:
    import hashlib

    assert writes.pmid_set_sha256(["10", "9", "9"]) == writes.pmid_set_sha256(["9", "10"])
    assert writes.pmid_set_sha256(["9", "10"]) == hashlib.sha256(b"9\n10\n").hexdigest()


def test_models_and_migrations_agree(database_url: str) -> None:
    """A schema change without a migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from evidence.store.models import Base

    db = Database(database_url)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    db.dispose()
