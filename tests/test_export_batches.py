"""Exports are produced batch by batch: the index holds no study texts, the full studies are
read ``batch`` PMIDs at a time, and each study is written before the next batch is read;
the output equals the one built from the whole report in memory, byte for byte."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evidence.domain.views import ClaimReport, StudyInfo
from evidence.report.exports import BINARY_FORMATS, FORMATS, render, stream_export
from evidence.services.views import StudyPages, load_report, load_report_index
from evidence.store.db import Database
from tests.test_exports import seed

TEXT_FORMATS = [fmt for fmt in FORMATS if fmt not in BINARY_FORMATS]
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'exports.db'}")
    seed(database)
    yield database
    database.dispose()


def test_the_index_holds_no_study_texts(db: Database) -> None:
    with db.session() as session:
        data, _ = load_report_index(session)
    studies = [s for claim in data.claims for s in claim.studies]
    assert studies
    assert {(s.title, s.journal, s.key_sentence, s.stance_sentence) for s in studies} == {
        ("", None, None, None)
    }
    assert all(not s.authors and not s.abstract for s in studies)


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_in_batches_equals_the_export_in_memory(db: Database, fmt: str) -> None:
    with db.session() as session:
        full = load_report(session, now=NOW)
        data, pages = load_report_index(session, now=NOW)
        batched = render(data, fmt, StudyPages(pages.session, pages.ref, batch=1))
        whole = render(full, fmt)
    if fmt in BINARY_FORMATS:  # xlsx: a zip whose timestamps may differ; compare its cells
        assert sheet_rows(batched) == sheet_rows(whole)
    else:
        assert batched == whole


def sheet_rows(book: str | bytes) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    assert isinstance(book, bytes)
    return list(load_workbook(io.BytesIO(book)).active.iter_rows(values_only=True))


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_each_batch_is_written_before_the_next_is_read(db: Database, fmt: str) -> None:
    out = io.StringIO()
    batches: list[list[str]] = []
    with db.session() as session:
        data, pages = load_report_index(session)
        reader = StudyPages(pages.session, pages.ref, batch=2)

        def watched(claim: ClaimReport) -> Iterator[StudyInfo]:
            for study in reader(claim):
                if batches and len(batches[-1]) < reader.batch:
                    batches[-1].append(study.pmid)
                else:
                    written = out.getvalue()
                    assert all(pmid in written for batch in batches for pmid in batch)
                    batches.append([study.pmid])
                yield study

        stream_export(data, fmt, watched, out)
    assert len(batches) > 1
