"""The HTML report: summary table, inline SVG charts, and hostile PubMed text made inert."""

from __future__ import annotations

from datetime import UTC, datetime

import lxml.html
import pytest

from evidence.domain.views import (
    ArticleInfo,
    ClaimReport,
    RefreshInfo,
    ReportData,
    StudyInfo,
    VerdictInfo,
)
from evidence.report.charts import VERDICT_COLOURS, category_colour, evidence_chart, years_chart
from evidence.report.html import render_html
from evidence.report.sanitize import inline_markup
from evidence.services.views import summarized

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
MATHML = "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"
ALLOWED_HREFS = (
    "#",
    "https://pubmed.ncbi.nlm.nih.gov/",
    "https://doi.org/",
)


def verdict(reviewer: str, value: str, note: str | None = None) -> VerdictInfo:
    return VerdictInfo(reviewer, value, note, NOW)


def study(pmid: str, level: int | None, year: int | None, **fields: object) -> StudyInfo:
    values: dict[str, object] = {
        "pmid": pmid,
        "title": f"Study {pmid}",
        "authors": ("Doe J",),
        "journal": "Pain",
        "year": year,
        "doi": f"10.1000/{pmid}",
        "pmc": None,
        "publication_types": ("Journal Article",),
        "retracted": False,
        "design": "rct" if level else None,
        "design_label": "Randomized controlled trial" if level else None,
        "evidence_level": level,
    }
    values.update(fields)
    return StudyInfo(**values)  # type: ignore[arg-type]


def hostile_report() -> ReportData:
    trial = study(
        "201",
        2,
        2020,
        title=f"Ketamine {SCRIPT} with <i>in vivo</i> H<sub>2</sub>O",
        verdicts=(verdict("ann", "supports", f"note {SCRIPT} {IMG}"),),
        abstract=(("BACKGROUND", f"Pain {SCRIPT} <i>in vivo</i>"), ("RESULTS", f"Less {IMG}")),
        publication_types=("Randomized Controlled Trial", "Research Support, N.I.H., Extramural"),
    )
    review = study(
        "202",
        1,
        2022,
        title=f"Meta-analysis {IMG}",
        doi="javascript:alert(1)",
        verdicts=(verdict("ann", "supports"), verdict("bob", "contradicts", MATHML)),
    )
    mathml = study("203", 4, 2019, title=f"Cohort {MATHML}", doi=f"10.1/{IMG}", retracted=True)
    case = study("204", None, None, title="Letter", verdicts=(verdict("ann", "not-relevant"),))
    claims = (
        ClaimReport("nmda", f"Ketamine blocks NMDA {SCRIPT}", "Intro", (), (trial, review, mathml)),
        ClaimReport("mood", "Ketamine lifts mood", None, (), (case, study("205", 2, 2021))),
        ClaimReport("empty", "Nothing found", None, (), ()),
    )
    return summarized(
        ReportData(
            article=ArticleInfo("ketamine", f"Ketamine {SCRIPT}", "Blog", None, "2026-11-01"),
            generated_at=NOW,
            tool_version="0",
            last_refresh=RefreshInfo(1, NOW, NOW, "ok"),
            claims=claims,
            rules_version="test-rules",
        )
    )


@pytest.fixture(scope="module")
def root() -> lxml.html.HtmlElement:
    return lxml.html.fromstring(render_html(hostile_report()))


def test_no_script_no_handler_no_foreign_link(root: lxml.html.HtmlElement) -> None:
    assert root.xpath("//script | //iframe | //object | //embed | //img | //math") == []
    assert len(root.xpath("//style")) == 1  # the page's own, in <head>
    for element in root.iter():
        assert not [name for name in element.attrib if name.lower().startswith("on")], element
        for name, value in element.attrib.items():
            assert "javascript:" not in value.lower(), (name, value)
    hrefs = root.xpath("//@href | //@src | //@action | //@xlink:href", namespaces=XLINK)
    assert hrefs
    assert [h for h in hrefs if not h.startswith(ALLOWED_HREFS)] == []


XLINK = {"xlink": "http://www.w3.org/1999/xlink"}


def test_hostile_text_stays_visible_as_words(root: lxml.html.HtmlElement) -> None:
    (row,) = root.xpath("//section[@id='claim-nmda']//tr[@data-pmid='201']")
    text = row.text_content()
    assert SCRIPT in text and "note" in text and IMG in text
    (mathml_row,) = root.xpath("//section[@id='claim-nmda']//tr[@data-pmid='203']")
    assert MATHML in mathml_row.text_content()
    assert "alert" in root.xpath("string(//h1)")
    (review_row,) = root.xpath("//section[@id='claim-nmda']//tr[@data-pmid='202']")
    assert MATHML in review_row.text_content()  # bob's note, as text
    (doi,) = review_row.xpath(".//a[starts-with(@href, 'https://doi.org/')]/@href")
    assert doi == "https://doi.org/javascript%3Aalert%281%29"  # a harmless doi.org path


def test_allowed_inline_markup_is_kept_without_attributes(root: lxml.html.HtmlElement) -> None:
    (link,) = root.xpath("//tr[@data-pmid='201']//a[starts-with(@href, 'https://pubmed')]")
    assert [(e.tag, dict(e.attrib)) for e in link] == [("i", {}), ("sub", {})]
    assert link.text_content() == f"Ketamine {SCRIPT} with in vivo H2O"


@pytest.mark.parametrize(
    ("raw", "html"),
    [
        (SCRIPT, "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<i onclick=alert(1)>x</i>", "&lt;i onclick=alert(1)&gt;x"),
        ("<b>bold</B> and <sup>2", "<b>bold</b> and <sup>2</sup>"),
        ("</sub>stray", "stray"),
        ('<a href="javascript:alert(1)">x</a>', '&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;'),
        (None, ""),
    ],
)
def test_inline_markup(raw: str | None, html: str) -> None:
    assert str(inline_markup(raw)) == html


def test_every_claim_has_a_section_with_charts_and_pubmed_links(
    root: lxml.html.HtmlElement,
) -> None:
    report = hostile_report()
    for claim in report.claims:
        (section,) = root.xpath(f"//section[@id='claim-{claim.key}']")
        rows = section.xpath(".//tr[contains(@class, 'study')]")
        assert [r.get("data-pmid") for r in rows] == [s.pmid for s in claim.studies]
        for row in rows:
            pmid = row.get("data-pmid")
            assert f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" in row.xpath(".//a/@href")
        charts = section.xpath(".//figure[contains(@class, 'chart')]/svg")
        assert len(charts) == (2 if claim.studies else 0)


def test_summary_table_has_a_row_per_claim_with_its_conclusion(
    root: lxml.html.HtmlElement,
) -> None:
    rows = root.xpath("//section[@id='summary']//tbody/tr")
    assert [r.get("data-claim") for r in rows] == ["nmda", "mood", "empty"]
    badges = [r.xpath(".//span[contains(@class, 'conclusion')]")[0] for r in rows]
    labels = [b.text_content() for b in badges]
    # nmda: the meta-analysis is disputed and the cohort retracted: one supporting study left
    assert labels == ["Supported · low certainty", "Inconclusive · very low certainty",
                      "Never searched"]  # fmt: skip
    assert [b.get("class").split()[-1] for b in badges] == [
        "conclusion-supported",
        "conclusion-inconclusive",
        "conclusion-never-searched",
    ]
    nmda = rows[0]
    assert nmda.xpath("string(td[6])") == "L1: 1, L2: 1, L4: 1"
    assert "supports: 1" in nmda.xpath("string(td[7])")
    assert "disputed: 1" in nmda.xpath("string(td[7])")
    (warning,) = nmda.xpath(".//*[contains(@class, 'retraction-warning')]")
    assert "1 retracted study" in warning.text_content()
    assert not rows[1].xpath(".//*[contains(@class, 'retraction-warning')]")
    assert rows[0].xpath("td[1]/a/@href") == ["#claim-nmda"]


def test_charts_are_deterministic_and_self_contained() -> None:
    claim = hostile_report().claims[0]
    first, second = evidence_chart(claim, "a-"), evidence_chart(claim, "a-")
    assert first == second
    assert first.startswith("<svg") and first.endswith("</svg>")
    for svg in (first, years_chart(claim, "b-")):
        assert "<?xml" not in svg and "<!DOCTYPE" not in svg and "url(" not in svg
        assert "<metadata" not in svg and "<style" not in svg and len(svg) < 20_000
    assert ">supports<" in first and ">disputed<" in first and ">L1<" in first
    assert ">2020<" in years_chart(claim, "b-")


def test_evidence_chart_colours_unreviewed_studies_by_their_machine_suggestion() -> None:
    reviewed = study("301", 2, 2020, verdicts=(verdict("ann", "supports"),))
    suggested = study("302", 2, 2021, suggested_stance="contradicts")
    also_suggested = study("303", 4, 2021, suggested_stance="contradicts")
    bare = study("304", 4, 2022)
    overruled = study(
        "305", 4, 2022, suggested_stance="supports", verdicts=(verdict("bob", "not-relevant"),)
    )
    claim = ClaimReport("c", "s", None, (), (reviewed, suggested, also_suggested, bare, overruled))
    svg = lxml.html.fromstring(evidence_chart(claim, "c-"))
    legend = [t.text_content().strip() for t in svg.xpath("//text")]
    assert [t for t in legend if not t.startswith("L") and not t.isdigit() and t != "studies"] == [
        "supports",
        "not-relevant",
        "contradicts (machine)",
        "not reviewed",
    ]  # reviewer verdicts, then suggestions, then the rest; a verdict overrules a suggestion
    fills = "".join(svg.xpath("//@style"))
    pale_red = category_colour("contradicts (machine)")
    assert pale_red not in VERDICT_COLOURS.values() and pale_red.startswith("#")
    for colour in (VERDICT_COLOURS["supports"], VERDICT_COLOURS["not-relevant"], pale_red):
        assert f"fill: {colour}" in fills, colour
    assert f"fill: {VERDICT_COLOURS['contradicts']}" not in fills  # no reviewer said so


def test_abstract_is_collapsed_sanitised_and_funding_kept_apart(
    root: lxml.html.HtmlElement,
) -> None:
    row = root.xpath("//tr[@data-pmid='201']")[0]
    (details,) = row.xpath(".//details[contains(@class, 'abstract')]")
    assert details.get("open") is None  # collapsed by default, no script needed
    text = details.text_content()
    assert "BACKGROUND:" in text and "RESULTS:" in text and "<script>" in text  # shown as text
    assert details.xpath(".//i") and not details.xpath(".//script | .//img")
    design = row.xpath("string(td[5])")
    assert "Funding: Research Support, N.I.H., Extramural" in design
    assert design.count("Research Support") == 1  # not among the design's types
