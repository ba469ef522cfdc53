"""The store: migrations, idempotent upserts, claims sync, links (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from evidence.domain.audit import pmid_set_sha256, utcnow
from evidence.domain.claims import load_claims
from evidence.domain.records import (
    AbstractSection,
    Article,
    Author,
    CommentCorrection,
    MeshHeading,
    PublicationType,
)
from evidence.services.records import regrade_stale, store_records
from evidence.store import writes
from evidence.store.db import HEAD_REVISION, Database, current_revision, table_names
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
    SearchRunPmid,
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
    assert current_revision(db.engine) == HEAD_REVISION
    tables = set(table_names(db.engine))
    assert {"articles", "claims", "queries", "search_runs", "claim_articles"} <= tables
    Database(database_url)  # migrating again is a no-op
    db.dispose()


def test_store_articles_is_idempotent_and_replaces_children(database_url: str) -> None:
    db = Database(database_url)
    with db.session() as s:
        assert store_records(s, [make_article("1"), make_article("2")]) == 2
    with db.session() as s:
        store_records(s, [make_article("1", title="Corrected", authors=(Author("Roe"),))])
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
            started_at=utcnow(),
            status="ok",
            tool_version="t",
            source_kind="eutils",
            source_location="http://x/",
        )
        s.add(run)
        store_records(s, [make_article("1"), make_article("2")])
        s.flush()
        claim = writes.claim_by_key(s, claims.slug, "nmda-blockade")
        writes.link_claim(s, claim.id, run.id, ["1", "2", "404"])  # 404 is not stored
        writes.link_claim(s, claim.id, run.id, ["2"])
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Claim)) == len(claims.claims)
        n_queries = sum(len(c.queries) for c in claims.claims)
        assert s.scalar(select(func.count()).select_from(Query)) == n_queries
        links = {(link.pmid, link.active) for link in s.scalars(select(ClaimArticle))}
        assert links == {("1", False), ("2", True)}
    db.dispose()


def test_pmid_set_hash_is_order_free_and_reproducible() -> None:
    import hashlib

    assert pmid_set_sha256(["10", "9", "9"]) == pmid_set_sha256(["9", "10"])
    assert pmid_set_sha256(["9", "10"]) == hashlib.sha256(b"9\n10\n").hexdigest()


def test_models_and_migrations_agree(database_url: str) -> None:
    """A schema change without a migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from evidence.store.mirror.models import is_search_index
    from evidence.store.models import Base

    def include_name(name: str | None, type_: str, parents: object) -> bool:
        """The mirror's search index is raw SQL by dialect (FTS5 / tsvector), not a model."""
        return not (type_ == "table" and name is not None and is_search_index(name))

    db = Database(database_url)
    with db.engine.connect() as conn:
        opts = {"compare_type": True, "include_name": include_name}
        context = MigrationContext.configure(conn, opts=opts)
        assert compare_metadata(context, Base.metadata) == []
    db.dispose()


RCT_XML = b"""<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="1">555</PMID><Article><Journal><Title>Pain</Title></Journal>
<ArticleTitle>Ketamine versus placebo.</ArticleTitle><PublicationTypeList>
<PublicationType UI="D016449">Randomized Controlled Trial</PublicationType>
<PublicationType UI="D016441">Retracted Publication</PublicationType>
</PublicationTypeList></Article><MeshHeadingList><MeshHeading>
<DescriptorName UI="D006801" MajorTopicYN="N">Humans</DescriptorName></MeshHeading>
</MeshHeadingList></MedlineCitation></PubmedArticle>"""


def test_upgrade_from_0001_keeps_records_and_refresh_grades_them(database_url: str) -> None:
    from sqlalchemy import JSON, DateTime, LargeBinary, column, insert, table

    from evidence.store.db import create_db_engine, upgrade

    json_columns = ("abstract_sections", "languages", "keywords")
    plain = ("pmid", "pmid_version", "record_type", "title", "abstract", "record_sha256")
    articles_0001 = table(
        "articles",
        *(column(name) for name in plain),
        *(column(name, JSON) for name in json_columns),
        column("raw_xml", LargeBinary),
        column("first_stored_at", DateTime(timezone=True)),
        column("updated_at", DateTime(timezone=True)),
    )

    engine = create_db_engine(database_url)
    upgrade(engine, "0001")
    now = utcnow()
    row = {
        "pmid": "555", "pmid_version": 1, "record_type": "PubmedArticle", "title": "t",
        "abstract": "", "abstract_sections": [], "languages": [], "keywords": [],
        "record_sha256": "x", "raw_xml": RCT_XML, "first_stored_at": now, "updated_at": now,
    }  # fmt: skip
    authors_0001 = table(
        "article_authors", column("pmid"), column("position"), column("affiliations", JSON)
    )
    author = {"pmid": "555", "position": 0, "affiliations": []}
    with engine.begin() as conn:  # a record with child rows, as every real database has
        conn.execute(insert(articles_0001).values(row))
        conn.execute(insert(authors_0001).values(author))
    assert upgrade(engine) == "0001"  # 0001 -> head with a record in place
    engine.dispose()
    db = Database(database_url)
    with db.session() as s:
        stored_row = s.get(ArticleRow, "555")
        assert stored_row is not None and stored_row.design is None and stored_row.flags == []
        assert regrade_stale(s) == 1
    with db.session() as s:
        graded = s.get(ArticleRow, "555")
        assert graded is not None and graded.design == "rct" and graded.evidence_level == 2
        assert "retracted" in graded.flags and "humans" in graded.flags
        assert regrade_stale(s) == 0  # graded with the current rules: nothing to do
    db.dispose()


def test_statement_versions_migration_keeps_verdicts_and_ties_them_to_version_1(
    database_url: str,
) -> None:
    from alembic import command

    from evidence.services.review import record_verdict
    from evidence.store.db import alembic_config, upgrade
    from evidence.store.models import ClaimStatement, Verdict

    db = Database(database_url)
    claims = load_claims(BUNDLED)
    with db.session() as s:
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
        store_records(s, [make_article("1")])
        s.flush()
        claim = writes.claim_by_key(s, claims.slug, "nmda-blockade")
        writes.link_claim(s, claim.id, run.id, ["1"])
        record_verdict(s, "nmda-blockade", "1", "supports", reviewer="ann")
    command.downgrade(alembic_config(db.engine), "0005")  # as a database of the last release
    assert upgrade(db.engine) == "0005"  # 0005 -> head with the verdict in place
    db.dispose()
    db = Database(database_url)
    with db.session() as s:
        (statement,) = s.scalars(
            select(ClaimStatement).where(ClaimStatement.claim_id == claim.id)
        ).all()
        assert (statement.version, statement.text) == (1, claim.statement)
        verdict = s.scalars(select(Verdict)).one()
        assert verdict.statement_id == statement.id and verdict.verdict == "supports"
    db.dispose()


def test_migration_0008_from_0006_keeps_records_and_backfills_checked_at(
    database_url: str,
) -> None:
    from alembic import command

    from evidence.sources.pubmed_xml.parser import parse_articles
    from evidence.store.db import alembic_config, upgrade
    from evidence.store.models import RecordChange, RetractionNotice

    db = Database(database_url)
    claims = load_claims(BUNDLED)
    with db.session() as s:
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
        store_records(s, parse_articles(RCT_XML))
        s.flush()
        claim = writes.claim_by_key(s, claims.slug, "nmda-blockade")
        writes.link_claim(s, claim.id, run.id, ["555"])
    command.downgrade(alembic_config(db.engine), "0006")  # a database before re-checks
    assert upgrade(db.engine) == "0006"  # 0006 -> head with records and links in place
    db.dispose()
    db = Database(database_url)
    assert current_revision(db.engine) == HEAD_REVISION
    with db.session() as s:
        rows = {a.pmid: a for a in s.scalars(select(ArticleRow))}
        assert set(rows) == {"555"}
        for row in rows.values():
            assert row.checked_at == row.updated_at  # the next re-check starts there
            assert row.notices == [] and row.flag_sources is None
        assert s.scalar(select(func.count()).select_from(RecordChange)) == 0
        assert s.scalar(select(func.count()).select_from(RetractionNotice)) == 0
        assert regrade_stale(s) == 1  # flags get their sources at the next refresh
    with db.session() as s:
        graded = s.get(ArticleRow, "555")
        assert graded is not None and graded.flag_sources == [
            {"flag": "humans", "source": "PubMed", "detail": "MeSH Humans"},
            {
                "flag": "retracted",
                "source": "PubMed",
                "detail": "publication type Retracted Publication",
            },
        ]
        assert regrade_stale(s) == 0
    db.dispose()


def test_run_heartbeat_migration_keeps_runs_and_their_search_runs(database_url: str) -> None:
    from alembic import command

    from evidence.store import runs
    from evidence.store.db import alembic_config, upgrade

    db = Database(database_url)
    claims = load_claims(BUNDLED)
    with db.session() as s:
        claim_set = writes.sync_claims(s, claims)
        _, queries = writes.claim_and_query_ids(s, claim_set.id)
        new = runs.NewRefreshRun(claim_set.id, "t", "f", "sha", "eutils", "http://x/", None, {})
        refresh_id = runs.start_refresh(s, new)
        query_id = next(iter(queries.values()))
        record = runs.SearchRecord(query_id, "term", utcnow(), "ok", retrieved=2, pmids=["2", "1"])
        runs.add_search(s, refresh_id, record)
    command.downgrade(alembic_config(db.engine), "0006")  # a database of the last release
    assert upgrade(db.engine) == "0006"  # 0006 -> head with the runs in place
    db.dispose()
    db = Database(database_url)
    with db.session() as s:
        run = s.get(RefreshRun, refresh_id)
        assert run is not None and run.status == "running" and run.source_location == "http://x/"
        assert (run.host, run.pid, run.heartbeat_at) == (None, None, None)
        pmids = s.scalars(select(SearchRunPmid.pmid).order_by(SearchRunPmid.position)).all()
        assert pmids == ["2", "1"]
    db.dispose()
