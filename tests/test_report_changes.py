"""The report's "What changed" section lists at most CHANGES_SHOWN items per cell, then how
many more and where they all are (HTML and Markdown); a short list is shown whole."""

from __future__ import annotations

from dataclasses import replace

import lxml.html

from evidence.domain.views import ClaimChanges, ReportData
from evidence.report.audit import SEARCH_RUNS_PATH
from evidence.report.changes import CHANGES_SHOWN, capped
from evidence.report.html import render_html
from evidence.report.markdown import render_markdown
from tests.test_report import report, sqlite_db  # noqa: F401 (fixtures)

ADDED = tuple(str(30_000_000 + n) for n in range(CHANGES_SHOWN + 250))


def with_changes(data: ReportData, added: tuple[str, ...]) -> ReportData:
    change = ClaimChanges(
        data.claims[0].key, 1, 2, added, ("999",), (), flagged=("999: RETRACTED (PubMed)",)
    )
    return replace(data, changes=(change,))


def test_capped_keeps_the_first_items_and_counts_the_rest() -> None:
    assert capped(["1", "2", "3"], 2).shown == ("1", "2")
    assert capped(["1", "2", "3"], 2).more_note.startswith("and 1 more (")
    assert "`" not in capped(["1", "2", "3"], 2).more_note  # shown as is in the HTML
    assert capped(["1", "2"], 2).more == 0
    assert capped(["1", "2"], 2).more_note == ""


def test_html_changes_show_the_first_pmids_then_how_many_more(report: ReportData) -> None:  # noqa: F811
    page = lxml.html.fromstring(render_html(with_changes(report, ADDED)))
    added_cell = page.xpath("//table[@class='changes']/tbody/tr/td")[2]
    links = [a.text for a in added_cell.xpath(".//a")]
    assert links == list(ADDED[:CHANGES_SHOWN])
    note = added_cell.text_content()
    assert "and 250 more" in note and SEARCH_RUNS_PATH in note and "evidence diff" in note


def test_html_changes_under_the_cap_are_shown_whole(report: ReportData) -> None:  # noqa: F811
    page = lxml.html.fromstring(render_html(with_changes(report, ADDED[:3])))
    cells = page.xpath("//table[@class='changes']/tbody/tr/td")
    assert [a.text for a in cells[2].xpath(".//a")] == list(ADDED[:3])
    assert [a.text for a in cells[3].xpath(".//a")] == ["999"]
    assert "more" not in page.xpath("//table[@class='changes']")[0].text_content()


def test_markdown_changes_show_the_first_pmids_then_how_many_more(
    report: ReportData,  # noqa: F811
) -> None:
    text = render_markdown(with_changes(report, ADDED))
    section = text.split("## What changed since the previous refresh")[1].split("\n## ")[0]
    assert ADDED[CHANGES_SHOWN - 1] in section
    assert ADDED[CHANGES_SHOWN] not in section
    assert "and 250 more" in section and SEARCH_RUNS_PATH in section
    short = render_markdown(with_changes(report, ADDED[:3]))
    assert " ".join(ADDED[:3]) in short and "more (" not in short
