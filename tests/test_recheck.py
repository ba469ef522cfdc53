"""Re-check of linked records over a loopback E-utilities server whose corpus changes.

The second refresh must fetch again only the linked records PubMed revised (counted by
request and id), record what changed, flag the retracted study (still linked, verdict
re-opened, out of the certainty count with the reason); an unchanged refresh costs the
searches plus the re-check's esearch and no efetch. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from evidence.domain.claims import load_claims
from evidence.services.changes import claim_changes
from evidence.services.refresh import refresh
from evidence.services.review import record_verdict
from evidence.services.views import load_report
from evidence.sources.eutils.revised import cheaper_plan, ored, uid_terms
from evidence.sources.eutils.source import EutilsSource
from evidence.store.db import Database
from evidence.store.models import Article, ClaimArticle, Recheck, RecordChange
from tests.claims_files import BUNDLED, one_query_claims, plan_searches
from tests.eutils_server import EutilsServer, synthetic_record, synthetic_records
from tests.memory_source import MemorySource

ESEARCH, EFETCH = "esearch.fcgi", "efetch.fcgi"


def retracted(record: bytes, notice: str = "39999999") -> bytes:
    """The record marked retracted as PubMed does: publication type and RetractionIn link."""
    root = etree.fromstring(record)
    citation = root.find("MedlineCitation")
    article = citation.find("Article")
    types = article.find("PublicationTypeList")
    if types is None:
        types = etree.SubElement(article, "PublicationTypeList")
    kind = etree.SubElement(types, "PublicationType", UI="D016441")
    kind.text = "Retracted Publication"
    links = citation.find("CommentsCorrectionsList")
    if links is None:
        links = etree.SubElement(citation, "CommentsCorrectionsList")
    link = etree.SubElement(links, "CommentsCorrections", RefType="RetractionIn")
    etree.SubElement(link, "RefSource").text = "Pain. 2026 Nov;1(1):1"
    etree.SubElement(link, "PMID", Version="1").text = notice
    return etree.tostring(root, encoding="utf-8")


def retitled(record: bytes, title: str) -> bytes:
    root = etree.fromstring(record)
    element = root.find("MedlineCitation/Article/ArticleTitle")
    for child in list(element):
        element.remove(child)
    element.text = title
    return etree.tostring(root, encoding="utf-8")


def efetch_ids(server: EutilsServer) -> list[set[str]]:
    return [set(r.params["id"].split(",")) for r in server.requests_to(EFETCH)]


@pytest.fixture
def source_for(
    eutils_client_factory: Callable[..., Any],
) -> Callable[[EutilsServer], EutilsSource]:
    return lambda server: EutilsSource(eutils_client_factory(server))


def test_second_refresh_refetches_only_the_changed_linked_records(
    database_url: str,
    fixture_records: dict[str, bytes],
    eutils_server_factory: Callable[..., EutilsServer],
    source_for: Callable[[EutilsServer], EutilsSource],
) -> None:
    claims = load_claims(BUNDLED)
    searches = plan_searches(claims, list(fixture_records), size=3)
    server = eutils_server_factory(fixture_records, searches)
    source = source_for(server)
    db = Database(database_url)
    queries = sum(len(c.queries) for c in claims.claims)

    first = refresh(db, source, claims)
    assert first.status == "ok" and first.recheck is not None
    assert first.recheck.method == "none"  # every linked record was fetched just now
    assert len(server.requests_to(ESEARCH)) == queries

    server.requests.clear()
    unchanged = refresh(db, source, claims)  # nothing changed: searches + one re-check
    assert unchanged.status == "ok" and unchanged.recheck is not None
    assert server.requests_to(EFETCH) == []
    assert len(server.requests) == queries + 1
    asked = server.requests[-1].params
    assert asked["datetype"] == "mdat" and asked["term"].startswith("(")
    assert asked["maxdate"] == date.today().strftime("%Y/%m/%d")
    assert asked["mindate"] == (date.today() - timedelta(days=1)).strftime("%Y/%m/%d")
    assert unchanged.recheck.revised == [] and unchanged.newly_flagged == []

    claim = claims.claims[0]
    query = claim.queries[0]
    found = searches[query.full_term]
    pulled, fixed = found[0], found[1]
    with db.session() as s:
        record_verdict(s, claim.id, pulled, "supports", reviewer="ann")
    others = {p for q in claim.queries[1:] for p in searches[q.full_term]}
    dropped = next((p for p in found if p not in others and p not in (pulled, fixed)), None)
    server.revise(pulled, retracted(fixture_records[pulled]))
    server.revise(fixed, retitled(fixture_records[fixed], "A corrected title."))
    server.add_record("40000001", synthetic_record("40000001"))
    searches[query.full_term] = [p for p in found if p != dropped] + ["40000001"]

    server.requests.clear()
    third = refresh(db, source, claims)
    assert third.status == "ok" and third.recheck is not None
    assert sorted(map(sorted, efetch_ids(server))) == sorted(
        [["40000001"], sorted([pulled, fixed])]
    )
    assert len(server.requests) == queries + 1 + 2
    assert third.recheck.revised == sorted([pulled, fixed], key=int)
    assert set(third.recheck.changed) == {pulled, fixed}
    assert [(f.pmid, f.flag, f.source) for f in third.newly_flagged] == [
        (pulled, "retracted", "PubMed")
    ]
    with db.session() as s:
        changes = {
            (c.pmid, c.field, c.source, c.refresh_run_id) for c in s.scalars(select(RecordChange))
        }
        run = third.refresh_id
        assert {
            (pulled, "publication_types", "PubMed", run),
            (pulled, "comments_corrections", "PubMed", run),
            (pulled, "flags", "PubMed", run),
            (fixed, "title", "PubMed", run),
        } == changes
        title = s.scalars(select(RecordChange.after).where(RecordChange.field == "title")).one()
        assert title == "A corrected title."
        link = s.scalars(select(ClaimArticle).where(ClaimArticle.pmid == pulled)).first()
        assert link is not None and link.active  # retracted studies stay linked
        row = s.get(Article, pulled)
        assert row is not None and "retracted" in row.flags
        assert s.scalars(select(Recheck.status)).all() == ["ok", "ok", "ok"]

    with db.session() as s:
        report = load_report(s)
        changes_now = {c.claim: c for c in claim_changes(s, report_id(s))}
    studies = {st.pmid: st for c in report.claims if c.key == claim.id for st in c.studies}
    study = studies[pulled]
    assert study.retracted and study.rereview_reason == "retracted since the latest verdict"
    assert [b for b in study.badges if b.startswith("RETRACTED")] == ["RETRACTED (PubMed)"]
    summary = next(c.summarized for c in report.claims if c.key == claim.id)
    assert any(f"excluded (PMID {pulled}: PubMed)" in r for r in summary.reasons)
    assert summary.retracted_by_source == {"PubMed": summary.retracted}
    assert f"{pulled}: retracted (PubMed)" in changes_now[claim.id].flagged
    assert f"{fixed}: title" in changes_now[claim.id].revised
    if dropped is not None:
        assert dropped in changes_now[claim.id].dropped
    db.dispose()


def report_id(session: Any) -> int:
    from evidence.store.reads import resolve_claim_set

    return resolve_claim_set(session, None).id


def test_recheck_all_refetches_every_linked_record_in_500_id_batches(
    tmp_path: Path,
    eutils_server_factory: Callable[..., EutilsServer],
    source_for: Callable[[EutilsServer], EutilsSource],
) -> None:
    pmids = [str(10_000 + i) for i in range(620)]
    server = eutils_server_factory(synthetic_records(pmids), {"drug x": pmids})
    db = Database(f"sqlite:///{tmp_path / 'all.db'}")
    claims = load_claims(one_query_claims(tmp_path, "drug x"))
    source = source_for(server)
    refresh(db, source, claims)
    server.requests.clear()
    summary = refresh(db, source, claims, recheck="all")
    assert summary.recheck is not None and summary.recheck.method == "all"
    batches = efetch_ids(server)
    assert [len(b) for b in batches] == [500, 120]
    assert set().union(*batches) == set(pmids)
    assert summary.recheck.changed == {}  # same records: nothing recorded
    db.dispose()


def test_query_terms_are_used_when_they_cost_fewer_requests(
    tmp_path: Path,
    eutils_server_factory: Callable[..., EutilsServer],
    source_for: Callable[[EutilsServer], EutilsSource],
) -> None:
    pmids = [str(20_000_000 + i) for i in range(1200)]  # three uid terms, one query term
    server = eutils_server_factory(synthetic_records(pmids), {"drug y": pmids})
    server.mdates["20000005"] = "2026/01/15"
    server.mdates["20000700"] = "2026/03/01"
    source = source_for(server)
    answer = source.modified_since(pmids, date(2026, 1, 1), date(2026, 2, 1), terms=["drug y"])
    assert answer.method == "query-terms" and answer.requests == 1
    assert answer.pmids == {"20000005"}
    assert server.requests[-1].params["term"] == "((drug y))"
    by_uid = source.modified_since(pmids, date(2026, 1, 1), date(2026, 12, 31))
    assert by_uid.method == "uid-list" and by_uid.requests == len(uid_terms(pmids)) == 3
    assert by_uid.pmids == {"20000005", "20000700"}
    assert all(len(t) <= 8_000 for t in by_uid.terms)


def test_plans_and_term_packing() -> None:
    assert ored(["a", "b", "c"], limit=9) == ["(a OR b)", "(c)"]
    assert uid_terms(["1", "2"]) == ["(1[uid] OR 2[uid])"]
    assert cheaper_plan(["1", "2"], ["t1", "t2"]) == ("uid-list", ["(1[uid] OR 2[uid])"])
    many = [str(i) for i in range(10_000_000, 10_001_000)]
    assert cheaper_plan(many, ["t"])[0] == "query-terms"


def test_memory_source_answers_the_recheck_from_its_dates(
    tmp_path: Path, fixture_records: dict[str, bytes]
) -> None:
    pmids = sorted(fixture_records)[:3]
    records = dict(fixture_records)
    source = MemorySource({"drug z": pmids}, records)
    db = Database(f"sqlite:///{tmp_path / 'memory.db'}")
    claims = load_claims(one_query_claims(tmp_path, "drug z"))
    refresh(db, source, claims)
    records[pmids[0]] = retracted(records[pmids[0]])
    source.mdates = {pmids[0]: date.today()}
    summary = refresh(db, source, claims)
    assert summary.recheck is not None and summary.recheck.method == "stored-dates"
    assert source.fetched[-1] == (pmids[0],)
    assert [f.pmid for f in summary.newly_flagged] == [pmids[0]]
    db.dispose()


def test_a_failed_recheck_makes_the_refresh_incomplete_and_keeps_its_start(
    tmp_path: Path,
    eutils_server_factory: Callable[..., EutilsServer],
    source_for: Callable[[EutilsServer], EutilsSource],
) -> None:
    pmids = ["301", "302"]
    server = eutils_server_factory(synthetic_records(pmids), {"drug w": pmids})
    db = Database(f"sqlite:///{tmp_path / 'failed.db'}")
    claims = load_claims(one_query_claims(tmp_path, "drug w"))
    source = source_for(server)
    refresh(db, source, claims)
    with db.session() as s:
        before = {a.pmid: a.checked_at for a in s.scalars(select(Article))}
    server.requests.clear()
    # the claim's search succeeds; the re-check's esearch is refused
    original = server.answer

    def answer(endpoint: str, params: Any) -> Any:
        if params.get("datetype") == "mdat":
            return original(endpoint, {"db": "nope"})
        return original(endpoint, params)

    server.answer = answer  # type: ignore[method-assign]
    summary = refresh(db, source, claims)
    assert summary.status == "incomplete"
    assert summary.recheck is not None and summary.recheck.status == "failed"
    with db.session() as s:
        after = {a.pmid: a.checked_at for a in s.scalars(select(Article))}
        assert after == before  # the next re-check starts where the last good one did
        assert s.scalars(select(Recheck.status).order_by(Recheck.id)).all() == ["ok", "failed"]
    db.dispose()
