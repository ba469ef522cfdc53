"""The bulk record writer stores exactly the rows the dict-based writer stored.

Records (fixtures, edge cases, the shared corpus) are stored, then partly re-stored with
changes, through :func:`evidence.store.writes.store_articles` in one database and through
the previous writer (``tests/store_reference.py``) in another; every table's rows must be
identical, as the database holds them (SQLite's raw values, PostgreSQL's row text). The
other writers of many rows (links, search runs' PMIDs, changes, notices, the mirror) are
compared the same way with Core's dict path (``tests/reference_upsert.py``, the former
``store/upsert.py``) in the place of ``bulk.insert_tuples``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, Table, create_engine, text
from sqlalchemy.orm import Session

from evidence.domain.claims import load_claims
from evidence.domain.mirror import FIELDS, MeshDescriptor, PreparedRecord
from evidence.domain.notices import RetractionNotice
from evidence.domain.records import Article, Author, MeshHeading
from evidence.services.records import grade_columns
from evidence.sources.pubmed_xml.parser import parse_articles
from evidence.store import bulk, recheck, retractions, runs, writes
from evidence.store.db import Database, table_names
from evidence.store.jsontext import json_text
from evidence.store.mirror import load as mirror
from evidence.store.mirror.models import MirrorMetaRow
from evidence.store.models import ClaimArticle
from tests import store_reference
from tests.reference_upsert import insert_rows, upsert
from tests.test_store import BUNDLED, make_article

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pubmed"
Writer = Callable[..., int]
FIRST = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
SECOND = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)


def fixture_records() -> list[Article]:
    """The parsed fixture files' records, plus edge cases: empty fields, unicode, quotes."""
    parsed = [
        a
        for path in sorted(FIXTURES.glob("*.xml"))
        for a in parse_articles(path.read_bytes())
        if isinstance(a, Article)
    ]
    edge = [
        make_article("91", authors=(), publication_types=(), mesh_headings=()),
        make_article(
            "92",
            title="Ünïcode — \"quoted\" 'title' \\ back",
            languages=("eng", "fre"),
            keywords=("k1", "ключ"),
            authors=(Author("Ó'Brien", "Seán", affiliations=("Dublin", "Cork ✓")),),
            mesh_headings=(MeshHeading("Pain", "D010146", False, ("q",), ("q",)),),
            comments_corrections=(),
            abstract_sections=(),
            year=None,
            doi=None,
        ),
    ]
    return parsed + edge


def changed(articles: Sequence[Article]) -> list[Article]:
    """Every other record re-stored with changes (fewer authors, a new title), plus a new one."""
    again = [
        replace(a, title=a.title + " (corrected)", authors=a.authors[:1], raw_xml=a.raw_xml + b" ")
        for a in articles[::2]
    ]
    return [*again, make_article("93")]


def store_twice(
    url: str, writer: Writer, first: Sequence[Article], monkeypatch: pytest.MonkeyPatch
) -> Engine:
    """Store ``first``, mark a record's notices, then re-store ``changed(first)``."""
    db = Database(url)
    for when, batch in ((FIRST, first), (SECOND, changed(first))):
        for module in (writes, store_reference):
            monkeypatch.setattr(module, "utcnow", lambda when=when: when)
        with db.session(write=True) as session:
            writer(session, batch, {a.pmid: grade_columns(a) for a in batch})
            session.execute(
                text('UPDATE articles SET notices = \'[{"flag": "x"}]\' WHERE pmid = :p'),
                {"p": first[0].pmid},
            )
    return db.engine


def table_rows(engine: Engine) -> dict[str, list[str]]:
    """Every table's rows as the database holds them, sorted (the counter aside)."""
    rows: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table in table_names(engine):
            if table in ("alembic_version", "data_generation"):
                continue
            if engine.dialect.name == "postgresql":
                found = conn.exec_driver_sql(f'SELECT t::text FROM "{table}" t').scalars()
                rows[table] = sorted(found)
            else:
                found = conn.exec_driver_sql(f'SELECT * FROM "{table}"').all()
                rows[table] = sorted(repr(tuple(r)) for r in found)
    return rows


def generation(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT generation FROM data_generation").scalar_one())


def assert_same_rows(
    make_url: Callable[[], str], records: Sequence[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    new = store_twice(make_url(), writes.store_articles, records, monkeypatch)
    old = store_twice(make_url(), store_reference.store_articles, records, monkeypatch)
    new_rows, old_rows = table_rows(new), table_rows(old)
    assert new_rows["articles"] and new_rows["article_authors"]
    assert new_rows == old_rows
    assert generation(new) > 0
    if new.dialect.name == "sqlite":  # triggers fire per row: the same rows were touched
        assert generation(new) == generation(old)
    new.dispose()
    old.dispose()


def test_bulk_writer_stores_the_reference_rows(
    database_factory: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_same_rows(database_factory, fixture_records(), monkeypatch)


def test_bulk_writer_stores_the_corpus_as_the_reference(
    database_factory: Callable[[], str],
    shared_corpus_records: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = [
        a
        for raw in list(shared_corpus_records.values())[:1200]
        for a in parse_articles(raw)
        if isinstance(a, Article)
    ]
    assert_same_rows(database_factory, records, monkeypatch)


def core_insert_tuples(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[object, ...]],
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
) -> None:
    """``bulk.insert_tuples`` done by Core's dict path: the reference of its rows."""
    dicts = [dict(zip(columns, row, strict=True)) for row in rows]
    if conflict:
        upsert(session, table, dicts, keys=conflict, update=update)
    else:
        insert_rows(session, table, dicts)


NOTICES = [
    RetractionNotice("1", "Retraction", "10.1/a", "1", "2024-01-02", ("Fraud", "ü")),
    RetractionNotice("2", "Correction", None, None, None),
]


def prepared(pmid: int, version: int = 1) -> PreparedRecord:
    texts = tuple(f"{field} text {pmid}" for field in FIELDS)
    raw = f"<r>{pmid}.{version}</r>".encode()
    return PreparedRecord(pmid * 100 + version, pmid, version, "PubmedArticle", 20200101,
                          None, 20200102, None, raw, texts)  # fmt: skip


def write_mirror(session: Session) -> None:
    """Two batches of a mirror file (a record replaced, deleted, revived) and a MeSH tree."""
    new = mirror.NewFile("pubmed26n0001.xml.gz", "baseline", 2026, 1, 10, "md5", True, None)
    file_id = mirror.start_file(session, new)
    mirror.write_batch(session, file_id, [prepared(11), prepared(12), prepared(13)], [14], 4)
    mirror.write_batch(session, file_id, [prepared(11, 2), prepared(14)], [12], 7)
    terms = [
        MeshDescriptor("D1", "Pain", "pain", ("C23.888", "F02.830"), ("Pain", "Ache")),
        MeshDescriptor("D2", "Ketamine", "ketamine", (), ("Ketamine",)),
    ]
    mirror.replace_mesh(session, "desc2026", terms)


def write_through_callers(url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Claims, records, a refresh's search runs and links (twice), changes, notices and the
    mirror's records, tombstones and MeSH tree."""
    for module in (writes, runs, retractions, mirror):
        monkeypatch.setattr(module, "utcnow", lambda: FIRST)
    db = Database(url)
    claims = load_claims(BUNDLED)
    articles = [make_article(str(pmid)) for pmid in range(1, 8)]
    with db.session(write=True) as session:
        claim_set = writes.sync_claims(session, claims)
        writes.store_articles(session, articles, {a.pmid: grade_columns(a) for a in articles})
        new = runs.NewRefreshRun(claim_set.id, "t", "f", "sha", "eutils", "http://x/", None, {})
        refresh_id = runs.start_refresh(session, new)
        claim_ids, query_ids = writes.claim_and_query_ids(session, claim_set.id)
        query_id = min(query_ids.values())
        first_claim, second_claim = sorted(claim_ids.values())[:2]
        pmids = ["7", "3", "404", "1"]
        runs.add_search(
            session, refresh_id, runs.SearchRecord(query_id, "t", FIRST, "ok", pmids=pmids)
        )
        writes.link_claim(session, first_claim, refresh_id, pmids)
        writes.link_claim(session, second_claim, refresh_id, ["2", "3"])
        monkeypatch.setattr(writes, "utcnow", lambda: SECOND)
        writes.link_claim(session, first_claim, refresh_id, ["3", "5"])
        changes = [
            recheck.ChangeRow("1", "title", "Old", "New", "PubMed"),
            recheck.ChangeRow("2", "flags", None, ["retracted"], "Retraction Watch"),
            recheck.ChangeRow("3", "year", 2019, None, "PubMed"),
        ]
        recheck.add_changes(session, refresh_id, changes, SECOND)
        recheck.add_changes(session, None, changes[:1], SECOND)
        retractions.add_notices(session, retractions.begin_load(session, "rw.csv"), NOTICES)
        write_mirror(session)
    return db.engine


WRITTEN_BY_BULK = (
    "claim_articles", "search_run_pmids", "record_changes", "retraction_notices",
    "mirror_records", "mirror_deletions", "mirror_mesh", "mirror_mesh_trees", "mirror_mesh_terms",
)  # fmt: skip


def test_callers_of_bulk_store_the_rows_of_cores_dict_path(
    database_factory: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    new = write_through_callers(database_factory(), monkeypatch)
    monkeypatch.setattr(bulk, "insert_tuples", core_insert_tuples)
    old = write_through_callers(database_factory(), monkeypatch)
    new_rows, old_rows = table_rows(new), table_rows(old)
    for table in WRITTEN_BY_BULK:
        assert new_rows[table], table
    assert new_rows == old_rows
    new.dispose()
    old.dispose()


@pytest.mark.parametrize(
    ("update", "expected"), [((), [("a", "1"), ("b", "3")]), (("value",), [("a", "2"), ("b", "3")])]
)
def test_a_conflict_skips_the_row_or_updates_its_update_columns(
    database_url: str, update: tuple[str, ...], expected: list[tuple[str, str]]
) -> None:
    db = Database(database_url)
    table = cast(Table, MirrorMetaRow.__table__)
    with db.session(write=True) as session:
        bulk.insert_tuples(session, table, ("key", "value"), [("a", "1")])
        rows = [("a", "2"), ("b", "3")]
        bulk.insert_tuples(session, table, ("key", "value"), rows, conflict=["key"], update=update)
    with db.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT key, value FROM mirror_meta ORDER BY key").all()
    db.dispose()
    assert [tuple(row) for row in stored] == expected


def test_bulk_json_needs_the_engines_serializer(postgres_url: str) -> None:
    """A native-JSON driver without ``json_serializer`` would get bare lists: refused."""
    Database(postgres_url).dispose()
    engine = create_engine(postgres_url)
    with Session(engine) as session, pytest.raises(NotImplementedError, match="json_serializer"):
        table = cast(Table, ClaimArticle.__table__)
        bulk.insert_tuples(session, table, ("claim_id", "pmid", "stance_cues"), [(1, "1", [])])
    engine.dispose()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4).map(tuple)
        | st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(JSON_VALUES)
def test_json_text_is_json_dumps(value: object) -> None:
    assert json_text(value) == json.dumps(value)


@given(st.lists(st.text()).map(tuple) | st.lists(st.text()))
def test_json_text_of_strings_is_json_dumps(value: Sequence[str]) -> None:
    assert json_text(value) == json.dumps(value)


def test_json_text_keeps_what_json_dumps_escapes() -> None:
    value = ['ü "q" \\ \n\t\u0001', "", "𝄞", "\ud800"]
    assert json_text(value) == json.dumps(value) and json_text(()) == "[]"
