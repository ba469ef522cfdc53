"""Reports and exports for very large claims: exports streamed in batches give exactly what
the whole report in memory gives; the pages list the strongest studies and say so."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import lxml.html
import openpyxl
import pytest

from evidence.domain.views import ClaimReport, StudyInfo
from evidence.report.exports import FORMATS, render
from evidence.report.exports.jsontext import json_pieces
from evidence.report.markdown import render_markdown
from evidence.report.studies import in_memory
from evidence.report.tables import json_document
from evidence.report.writer import write_report
from evidence.services.views import load_report, load_report_index
from evidence.store.db import Database
from tests.test_exports import seed as seed_exports
from tests.test_report import NOW


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'scale.db'}")
    seed_exports(database)
    return database


def xlsx_cells(content: bytes) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_read_in_batches_equals_the_report_in_memory(db: Database, fmt: str) -> None:
    with db.session() as session:
        whole = load_report(session, now=NOW)
        index, pages = load_report_index(session, now=NOW)
        streamed = render(index, fmt, replace(pages, batch=2))  # alpha: two batches
    expected = render(whole, fmt)
    if fmt == "xlsx":
        assert isinstance(streamed, bytes) and isinstance(expected, bytes)
        assert xlsx_cells(streamed) == xlsx_cells(expected)
    else:
        assert streamed == expected
    assert all(not s.authors and not s.abstract for c in index.claims for s in c.studies)


class Counting:
    """A study reader that counts the studies it has handed out."""

    def __init__(self) -> None:
        self.given = 0

    def __call__(self, claim: ClaimReport) -> Iterator[StudyInfo]:
        for study in claim.studies:
            self.given += 1
            yield study


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "xlsx"])
def test_an_export_writes_before_it_has_read_every_study(db: Database, fmt: str) -> None:
    with db.session() as session:
        data = load_report(session, now=NOW)
    total = sum(len(c.studies) for c in data.claims)
    reader = Counting()
    seen_at_first_study: list[int] = []

    class Out(io.StringIO):
        def write(self, text: str) -> int:
            if "201" in text and not seen_at_first_study:
                seen_at_first_study.append(reader.given)
            return super().write(text)

    from evidence.report.exports import stream_export

    stream_export(data, fmt, reader, Out())
    assert reader.given == total
    assert seen_at_first_study == [1]  # the first study is written when it is read


def test_the_json_stream_is_laid_out_as_json_dumps(db: Database) -> None:
    with db.session() as session:
        data = load_report(session, now=NOW)
    no_studies = replace(data, claims=(replace(data.claims[0], studies=()),))
    for report in (data, no_studies, replace(data, claims=())):
        expected = json.dumps(json_document(report), indent=2, ensure_ascii=False, default=str)
        assert "".join(json_pieces(report, in_memory)) == expected + "\n"


def test_the_pages_list_the_strongest_studies_and_say_so(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        data, pages = load_report_index(session, now=NOW)
        files = write_report(data, tmp_path / "report", pages, shown=2)
    alpha = next(c for c in data.claims if c.key == "alpha")
    page = lxml.html.fromstring(files.html.read_text(encoding="utf-8"))
    rows = page.xpath('//section[@id="claim-alpha"]//tr[contains(@class, "study")]/@data-pmid')
    assert rows == [s.pmid for s in alpha.studies[:2]]
    note = " ".join(page.xpath('//section[@id="claim-alpha"]//p[@class="muted shown-note"]/text()'))
    assert "strongest 2 of 3 studies" in note and "studies.csv" in note
    assert not page.xpath('//section[@id="claim-beta"]//p[@class="muted shown-note"]')
    with files.csv.open(encoding="utf-8", newline="") as handle:
        linked = [(r["claim_id"], r["pmid"]) for r in csv.DictReader(handle)]
    assert linked == [(c.key, s.pmid) for c in data.claims for s in c.studies]  # all of them
    markdown = files.markdown.read_text(encoding="utf-8")
    assert "strongest 2 of 3 studies" in markdown
    assert markdown.count("[PMID ") == 2 + 2  # alpha's two shown, beta's two


def test_a_report_of_normal_size_is_unchanged(db: Database) -> None:
    with db.session() as session:
        whole = load_report(session, now=NOW)
        index, pages = load_report_index(session, now=NOW)
        shown = {c.key: tuple(pages(c)) for c in index.claims}
    assert render_markdown(index, shown) == render_markdown(whole)
