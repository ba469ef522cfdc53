"""A second Source drives the whole pipeline without a change to it: refresh -> report.

``MemorySource`` (tests/memory_source.py) answers from fixture records held in memory; the
refresh service, grading, annotation, verdicts, views and the report run over it as they
run over E-utilities, and the run records the memory source's identity.
"""

from __future__ import annotations

from pathlib import Path

import lxml.html

from evidence.domain.claims import load_claims
from evidence.report.writer import write_report
from evidence.services.refresh import refresh
from evidence.services.review import record_verdict
from evidence.services.views import load_report, review_queue
from evidence.sources.base import Source
from evidence.store.db import Database
from tests.claims_files import one_query_claims
from tests.memory_source import MemorySource

TERM = "ketamine[tiab]"


def test_a_memory_source_drives_refresh_to_report(
    tmp_path: Path, fixture_records: dict[str, bytes]
) -> None:
    pmids = sorted(fixture_records)[:4]
    source = MemorySource({TERM: pmids}, fixture_records)
    assert isinstance(source, Source)
    claims = load_claims(one_query_claims(tmp_path, TERM))
    db = Database(f"sqlite:///{tmp_path / 'memory.db'}")

    summary = refresh(db, source, claims)
    assert summary.status == "ok"
    assert [(q.count, q.retrieved, q.new, q.stored) for q in summary.queries] == [(4, 4, 4, 4)]
    assert [q.term for q in source.searched] == [TERM]
    with db.session() as session:
        record_verdict(session, "only", pmids[0], "supports", reviewer="ann")
        queue = review_queue(session)
        data = load_report(session)
    assert {item.pmid for item in queue} == set(pmids[1:])  # the judged one left the queue
    assert {s.pmid for s in data.claims[0].studies} == set(pmids)
    assert data.claims[0].summarized.by_verdict["supports"] == 1

    files = write_report(data, tmp_path / "report")
    page = lxml.html.fromstring(files.html.read_bytes())
    linked = {href.rstrip("/").rsplit("/", 1)[-1] for href in page.xpath("//a/@href")}
    assert set(pmids) <= linked
    assert str(pmids[0]) in files.csv.read_text(encoding="utf-8")

    again = refresh(db, source, claims)  # nothing new: the source is not asked for records
    assert again.totals["new"] == 0 and len(source.fetched) == 1
    db.dispose()


def test_the_run_records_which_source_answered(
    tmp_path: Path, fixture_records: dict[str, bytes]
) -> None:
    from sqlalchemy import select

    from evidence.store.models import RefreshRun

    source = MemorySource({TERM: sorted(fixture_records)[:1]}, fixture_records)
    db = Database(f"sqlite:///{tmp_path / 'memory.db'}")
    refresh(db, source, load_claims(one_query_claims(tmp_path, TERM)))
    with db.session() as session:
        run = session.scalars(select(RefreshRun)).one()
        assert (run.source_kind, run.source_location, run.source_snapshot) == (
            "memory",
            "memory://fixtures",
            "fixture set 1",
        )
    db.dispose()
