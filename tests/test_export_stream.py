"""Streamed exports (``services.exports``): the same bytes as the export built from the
report's index, the database's study order equal to the domain's, and memory flat in the
number of studies."""

from __future__ import annotations

import gc
import io
import random
import tracemalloc
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from evidence.domain.views import study_order
from evidence.domain.vocab import KIND_RESOLUTION, WITHDRAWN
from evidence.report.exports import BINARY_FORMATS, FORMATS, filter_report, render
from evidence.services.exports import ExportFilter, load_export
from evidence.services.views import load_report_index
from evidence.store import reads
from evidence.store.db import Database
from evidence.store.models import (
    Article,
    ArticleAuthor,
    ArticleLink,
    ArticlePublicationType,
    Claim,
    ClaimArticle,
    ClaimSet,
    ClaimStatement,
    RefreshRun,
    Verdict,
)
from tests.test_export_batches import sheet_rows

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
CLAIMS = {"alpha": (1, False), "beta": (2, True), "gamma": (1, False)}  # reviewers, blind
VERDICT_WORDS = ("supports", "contradicts", "mixed", "inconclusive", "not-relevant")
SELECTIONS = [
    ExportFilter(),
    ExportFilter(claims=("beta",)),
    ExportFilter(claims=("gamma", "alpha")),
    ExportFilter(max_level=4),
    ExportFilter(verdicts=("supports", "disputed")),
    ExportFilter(verdicts=("not-reviewed",), max_level=6),
    ExportFilter(as_reviewer="ann"),
    ExportFilter(as_reviewer="bob", verdicts=("contradicts", "not-reviewed")),
]


def seed_random(db: Database, seed: int, pmids: int = 80) -> None:
    """Three claims (one blind, dual review; one reworded) sharing random studies: ties in
    relevance and year, ungraded studies and notices, PMIDs of several lengths, retractions
    (flag, publication type, notice link), withdrawn verdicts and resolutions."""
    rng = random.Random(seed)
    with db.session() as session:
        claim_set = ClaimSet(slug="stream-test", title="Streams", updated_at=T0)
        session.add(claim_set)
        session.flush()
        run = RefreshRun(
            claim_set_id=claim_set.id,
            started_at=T0,
            status="ok",
            tool_version="0",
            source_location="https://eutils.example/",
        )
        session.add(run)
        numbers = [*rng.sample(range(1, 40_000_000), pmids), 7, 70, 700]
        for n in numbers:
            add_random_article(session, str(n), rng)
        session.flush()
        for position, (key, (reviewers, blind)) in enumerate(CLAIMS.items()):
            claim = Claim(
                claim_set_id=claim_set.id,
                key=key,
                statement=f"About {key}",
                position=position,
                review_reviewers=reviewers,
                review_blind=blind,
            )
            session.add(claim)
            session.flush()
            versions = [
                ClaimStatement(claim_id=claim.id, version=1, text="o", sha256="1", created_at=T0)
            ]
            if key == "alpha":
                versions.append(
                    ClaimStatement(
                        claim_id=claim.id, version=2, text="s", sha256="2", created_at=T0
                    )
                )
            session.add_all(versions)
            session.flush()
            linked = rng.sample(numbers, len(numbers) * 2 // 3)
            for n in linked:
                add_random_link(session, claim.id, str(n), run.id, rng)
                add_random_verdicts(session, claim.id, str(n), [v.id for v in versions], rng)


def add_random_article(session: Any, pmid: str, rng: random.Random) -> None:
    level = rng.choice([None, None, 1, 2, 2, 3, 4, 5, 7, 8, 9])
    flags = [f for f in ("retracted", "expression-of-concern") if rng.random() < 0.15]
    types = rng.choice([[], ["Journal Article"], ["Retracted Publication"], ["Review"]])
    session.add(
        Article(
            pmid=pmid,
            record_type="PubmedArticle",
            title=f"Study {pmid}",
            journal=rng.choice([None, "Pain"]),
            year=rng.choice([None, 2001, 2010, 2010, 2020]),
            evidence_level=level,
            design="x" if level is not None else rng.choice([None, "notice"]),
            design_label="X" if level is not None else None,
            flags=flags,
            notices=[],
            record_sha256=rng.choice(["a", "b"]),
            raw_xml=b"<x/>",
            first_stored_at=T0,
            updated_at=T0,
        )
    )
    for position in range(rng.choice([0, 1, 3])):
        session.add(ArticleAuthor(pmid=pmid, position=position, last_name="Doe", initials="J"))
    for position, name in enumerate(types):
        session.add(ArticlePublicationType(pmid=pmid, position=position, name=name))
    if rng.random() < 0.05:
        session.add(ArticleLink(pmid=pmid, position=0, ref_type="RetractionIn", ref_pmid="1"))


def add_random_link(
    session: Any, claim_id: int, pmid: str, run_id: int, rng: random.Random
) -> None:
    seen = rng.choice([T0, T0 + timedelta(days=3)])
    session.add(
        ClaimArticle(
            claim_id=claim_id,
            pmid=pmid,
            first_run_id=run_id,
            last_run_id=run_id,
            first_seen_at=seen,
            last_seen_at=seen,
            active=rng.random() > 0.05,
            relevance=rng.choice([None, 0.0, 0.25, 0.5, 0.5, rng.random()]),
            suggested_stance=rng.choice([None, "supports", "contradicts"]),
        )
    )


def add_random_verdicts(
    session: Any, claim_id: int, pmid: str, statements: list[int], rng: random.Random
) -> None:
    for n in range(rng.choice([0, 0, 0, 1, 2, 3])):
        reviewer = rng.choice(["ann", "bob", "cy", "ed"])
        resolution = reviewer == "ed"
        session.add(
            Verdict(
                claim_id=claim_id,
                pmid=pmid,
                verdict=rng.choice(
                    [*VERDICT_WORDS, WITHDRAWN] if not resolution else VERDICT_WORDS
                ),
                reviewer=reviewer,
                created_at=T0 + timedelta(days=1, hours=n),
                record_sha256=rng.choice(["a", "b"]),
                statement_id=rng.choice(statements),
                kind=KIND_RESOLUTION if resolution else "verdict",
                reason="decided" if resolution else None,
            )
        )


def indexed_export(db: Database, fmt: str, selection: ExportFilter) -> str | bytes:
    """The export as built before streaming: the report's index, filtered, read in pages."""
    with db.session() as session:
        data, pages = load_report_index(session, now=NOW, as_reviewer=selection.as_reviewer)
        chosen = filter_report(
            data,
            claims=selection.claims,
            max_level=selection.max_level,
            verdicts=selection.verdicts,
        )
        return render(chosen, fmt, pages)


def streamed_export(db: Database, fmt: str, selection: ExportFilter, batch: int) -> str | bytes:
    with db.session() as session:
        data, studies = load_export(session, None, selection, now=NOW, batch=batch)
        return render(data, fmt, studies)


@pytest.fixture
def random_db(database_url: str) -> Database:
    db = Database(database_url)
    seed_random(db, seed=15)
    return db


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_streamed_export_equals_the_indexed_export(random_db: Database, fmt: str) -> None:
    for selection in SELECTIONS:
        old = indexed_export(random_db, fmt, selection)
        new = streamed_export(random_db, fmt, selection, batch=7)
        if fmt in BINARY_FORMATS:
            assert sheet_rows(new) == sheet_rows(old), selection
        else:
            assert new == old, selection


def test_the_database_orders_studies_as_the_domain_does(random_db: Database) -> None:
    with random_db.session() as session:
        ref = reads.resolve_claim_set(session, None)
        report = reads.read_report(session, ref, details=False)
        for claim in report.claims:
            expected = [s.pmid for s in sorted(claim.studies, key=study_order)]
            assert list(reads.ordered_pmids(session, ref, claim.key)) == expected
            assert len(expected) > 40


def test_the_summaries_equal_those_of_the_whole_report(random_db: Database) -> None:
    for reviewer in (None, "ann"):
        with random_db.session() as session:
            index, _ = load_report_index(session, now=NOW, as_reviewer=reviewer)
            data, _ = load_export(session, None, ExportFilter(as_reviewer=reviewer), now=NOW)
        for whole, streamed in zip(index.claims, data.claims, strict=True):
            assert streamed.summary == whole.summary
            assert streamed.study_count == len(whole.studies)


# --- memory ----------------------------------------------------------------------------------

PER_STUDY_BYTES = 400  # ~200 measured; the index held ~560 bytes per study before streaming
BATCH = 100  # studies read at a time: both sizes below span several batches


def seed_flat(path: Path, studies: int) -> Database:
    """One claim linked to ``studies`` studies, 50 of them judged (quickly, in bulk)."""
    db = Database(f"sqlite:///{path}")
    with db.session() as session:
        claim_set = ClaimSet(slug="flat", title="Flat", updated_at=T0)
        session.add(claim_set)
        session.flush()
        run = RefreshRun(
            claim_set_id=claim_set.id, started_at=T0, status="ok", tool_version="0",
            source_location="https://eutils.example/",
        )  # fmt: skip
        claim = Claim(claim_set_id=claim_set.id, key="c", statement="s", position=0)
        session.add_all([run, claim])
        session.flush()
        pmids = [str(10_000_000 + n) for n in range(studies)]
        session.execute(insert(Article), [article_row(p, n) for n, p in enumerate(pmids)])
        session.execute(insert(ClaimArticle), [link_row(claim.id, run.id, p) for p in pmids])
        session.execute(
            insert(Verdict), [verdict_row(claim.id, p) for p in pmids[:: studies // 50]]
        )
    return db


def article_row(pmid: str, n: int) -> dict[str, Any]:
    return {
        "pmid": pmid, "record_type": "PubmedArticle", "title": f"Study {n} of pain",
        "journal": "Pain", "year": 1990 + n % 30, "evidence_level": 1 + n % 9, "design": "x",
        "design_label": "X", "flags": [], "notices": [], "record_sha256": "a", "raw_xml": b"",
        "first_stored_at": T0, "updated_at": T0,
    }  # fmt: skip


def link_row(claim_id: int, run_id: int, pmid: str) -> dict[str, Any]:
    return {
        "claim_id": claim_id, "pmid": pmid, "first_run_id": run_id, "last_run_id": run_id,
        "first_seen_at": T0, "last_seen_at": T0, "relevance": int(pmid) % 97 / 97,
    }  # fmt: skip


def verdict_row(claim_id: int, pmid: str) -> dict[str, Any]:
    return {
        "claim_id": claim_id, "pmid": pmid, "verdict": "supports", "reviewer": "ann",
        "created_at": T0, "record_sha256": "a",
    }  # fmt: skip


def export_peak(db: Database, fmt: str, verdicts: Collection[str] = ()) -> int:
    """Peak traced bytes above the start while exporting ``db`` (written to a sink)."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        with db.session() as session:
            data, studies = load_export(session, None, ExportFilter(verdicts=verdicts), batch=BATCH)
            render(data, fmt, studies) if fmt in BINARY_FORMATS else _sink(data, fmt, studies)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def _sink(data: Any, fmt: str, studies: Any) -> None:
    from evidence.report.exports import stream_export

    class Sink(io.TextIOBase):
        def write(self, text: str) -> int:
            return len(text)

    stream_export(data, fmt, studies, Sink())


def test_export_memory_is_flat_in_the_number_of_studies(tmp_path: Path) -> None:
    fmt, verdicts = "csv", ("supports", "not-reviewed")  # both passes, and the filtered read
    small, large = 400, 2_000
    small_db, large_db = seed_flat(tmp_path / "s.db", small), seed_flat(tmp_path / "l.db", large)
    export_peak(large_db, fmt, verdicts)  # warm: imports, statement caches
    peaks = {
        db: min(export_peak(db, fmt, verdicts) for _ in range(2)) for db in (small_db, large_db)
    }
    grown = peaks[large_db] - peaks[small_db]
    assert grown < PER_STUDY_BYTES * (large - small), f"{grown / (large - small):.0f} B/study"
