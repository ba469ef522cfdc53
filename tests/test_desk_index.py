"""The desk's in-memory claim index (``services/desk/index.py``) on SQLite and PostgreSQL:
the triggers of migration 0010 bump the data generation on every change to records, links
and claims (not on verdicts); the index follows a regrade, verdicts written by another
process, a verdict committed out of id order, and a new wording, without serving stale data;
when nothing changed it costs two statements."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from evidence.domain.claims import load_claims
from evidence.services.desk import QueueFilter, claim_queue
from evidence.services.desk.common import find_claim
from evidence.services.desk.index import CACHE, claim_index
from evidence.services.refresh import refresh
from evidence.services.review import record_verdict
from evidence.store import desk as store
from evidence.store.db import Database
from evidence.store.models import Article, ClaimStatement, Verdict
from tests.db_support import database_url  # noqa: F401  (fixture)
from tests.eutils_server import synthetic_records
from tests.memory_source import MemorySource
from tests.test_queue_statements import counted

PMIDS = [str(2000 + n) for n in range(12)]
ALL = QueueFilter(state="all")


def claims_file(tmp_path: Path, statement: str = "Drug X relieves pain.") -> Path:
    path = tmp_path / "claims.toml"
    path.write_text(
        '[article]\nslug = "idx"\ntitle = "Index"\n\n'
        f'[[claims]]\nid = "only"\nstatement = "{statement}"\n\n'
        '[[claims.queries]]\nlabel = "main"\nterm = "drug-x"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def db(database_url: str, tmp_path: Path) -> Database:  # noqa: F811
    CACHE.clear()
    made = Database(database_url)
    source = MemorySource({"drug-x": PMIDS}, synthetic_records(PMIDS))
    refresh(made, source, load_claims(claims_file(tmp_path)))
    yield made  # type: ignore[misc]
    made.dispose()


def queue(db: Database, reviewer: str = "ann") -> list[str]:
    with db.session() as session:
        page = claim_queue(session, "idx", "only", ALL, reviewer=reviewer)
    return [row.study.pmid for row in page.rows]


def generation(db: Database) -> int:
    with db.session() as session:
        return store.data_generation(session)


def test_triggers_bump_the_generation_on_records_links_and_claims_not_verdicts(
    db: Database,
) -> None:
    start = generation(db)
    with db.session() as session:
        record_verdict(session, "only", PMIDS[0], "supports", reviewer="ann")
    assert generation(db) == start  # verdicts are read incrementally instead
    with db.session() as session:
        session.execute(update(Article).where(Article.pmid == PMIDS[1]).values(evidence_level=1))
    regraded = generation(db)
    assert regraded > start
    with db.session() as session:
        session.execute(update(Article).where(Article.pmid == "none").values(evidence_level=1))
        session.rollback()
    assert generation(db) == regraded  # a rolled-back change moves nothing


def test_the_index_follows_a_regrade(db: Database) -> None:
    before = queue(db)
    last = before[-1]
    with db.session() as session:
        session.execute(update(Article).where(Article.pmid == last).values(evidence_level=1))
    after = queue(db)
    assert after[0] == last and sorted(after) == sorted(before)


def test_the_index_takes_verdicts_from_another_process_incrementally(db: Database) -> None:
    queue(db)
    with db.session() as session:
        _, claim = find_claim(session, "idx", "only")
        first = claim_index(session, claim)
    other = Database(str(db.engine.url.render_as_string(hide_password=False)), create=False)
    with other.session() as session:  # another engine: a CLI in another process
        record_verdict(session, "only", PMIDS[3], "contradicts", reviewer="bob")
    other.dispose()
    with db.session() as session:
        second = claim_index(session, claim)
        page = claim_queue(session, "idx", "only", QueueFilter(state="judged"), reviewer="ann")
    assert second is not first and second.studies is first.studies  # not rebuilt
    assert [row.study.pmid for row in page.rows] == [PMIDS[3]]
    assert page.counts.judged == 1


def test_a_verdict_committed_out_of_id_order_is_not_missed(db: Database) -> None:
    with db.session() as session:
        record_verdict(session, "only", PMIDS[0], "supports", reviewer="ann")
        row = session.execute(select(Verdict).order_by(Verdict.id.desc())).scalars().first()
        assert row is not None
        values = {c.name: getattr(row, c.key) for c in Verdict.__table__.columns}
        session.execute(insert(Verdict).values({**values, "id": row.id + 100}))
    queue(db)  # the index now knows ids up to row.id + 100
    with db.session() as session:  # a transaction that took a lower id commits late
        late = {**values, "id": row.id + 50, "pmid": PMIDS[5], "reviewer": "cy"}
        session.execute(insert(Verdict).values(late))
    with db.session() as session:
        _, claim = find_claim(session, "idx", "only")
        pairs = claim_index(session, claim).pairs
    assert set(pairs) == {PMIDS[0], PMIDS[5]}
    assert [v.reviewer for v in pairs[PMIDS[5]].verdicts] == ["cy"]


def test_a_new_wording_rebuilds_the_index(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        record_verdict(session, "only", PMIDS[0], "supports", reviewer="ann")
    queue(db)
    source = MemorySource({"drug-x": PMIDS}, synthetic_records(PMIDS))
    refresh(db, source, load_claims(claims_file(tmp_path, "Drug X relieves chronic pain.")))
    with db.session() as session:
        assert (
            session.scalar(select(ClaimStatement.version).order_by(ClaimStatement.id.desc())) == 2
        )
        _, claim = find_claim(session, "idx", "only")
        pair = claim_index(session, claim).pairs[PMIDS[0]]
    assert [v.current_wording for v in pair.verdicts] == [False]


def test_an_unchanged_claim_costs_two_statements(db: Database) -> None:
    with db.session() as session:
        _, claim = find_claim(session, "idx", "only")
        built = claim_index(session, claim)
    with counted(db) as statements, db.session() as session:
        again = claim_index(session, claim)
    assert again is built
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
