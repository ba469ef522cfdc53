"""Reports: load_report from the store, then HTML, Markdown, CSV and JSON outputs."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from evidence.domain.errors import EvidenceError, NothingStoredError, UnknownArticleError
from evidence.domain.views import ArticleChoice, ReportData
from evidence.report.html import render_html
from evidence.report.markdown import md_text, render_markdown
from evidence.report.tables import CSV_COLUMNS, guard_cell
from evidence.report.writer import export_json, write_report
from evidence.services.views import claim_keys, load_report
from evidence.store.db import Database
from evidence.store.models import (
    Article,
    ArticleAuthor,
    ArticleLink,
    ArticlePublicationType,
    Claim,
    ClaimArticle,
    ClaimSet,
    Query,
    RefreshRun,
    SearchRun,
)
from tests.test_claims import GOOD as GOOD_CLAIMS

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=3)
NOW = T1 + timedelta(hours=2)
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD_TITLE = f"Ketamine {SCRIPT} and {IMG} in pain"
PAYLOAD_DOI = '10.1000/x"onmouseover=alert(1)'
FORMULA_JOURNAL = '=HYPERLINK("http://evil.example","x")'
RETRACTED = "102"

# pmid -> title, journal, year, doi, pmc, authors ((last, initials) or collective), types
STUDIES: dict[str, dict[str, Any]] = {
    "101": {
        "title": "Ketamine blocks NMDA receptors in chronic pain: a randomised trial",
        "journal": "Pain Medicine",
        "year": 2020,
        "doi": "10.1000/101",
        "pmc": "PMC555",
        "authors": [("Author", f"{chr(65 + i)}") for i in range(8)],
        "types": ["Journal Article", "Randomized Controlled Trial"],
    },
    RETRACTED: {
        "title": "A retracted trial of ketamine",
        "journal": "Journal of Pain",
        "year": 2018,
        "doi": "10.1000/102",
        "pmc": None,
        "authors": [("Smith", "J")],
        "types": ["Journal Article"],
    },
    "103": {
        "title": "Ketamine and synaptic plasticity",
        "journal": "Neuron",
        "year": 2021,
        "doi": None,
        "pmc": None,
        "authors": ["Ketamine Study Group", ("Doe", "A")],
        "types": ["Review"],
    },
    "104": {
        "title": PAYLOAD_TITLE,
        "journal": FORMULA_JOURNAL,
        "year": 2019,
        "doi": PAYLOAD_DOI,
        "pmc": None,
        "authors": [("Roe", "R")],
        "types": ["Journal Article"],
    },
    "105": {"title": "No longer found", "journal": "J", "year": 2022, "doi": None},
    "106": {"title": "Linked to an inactive claim", "journal": "J", "year": 2022, "doi": None},
    "107": {"title": "Undated study", "journal": "J", "year": None, "doi": None},
}
# claim key -> (pmid, active link)
LINKS = {
    "nmda-blockade": [("101", True), (RETRACTED, True), ("104", True), ("105", False)],
    "neuroplasticity": [("103", True), ("104", True), ("107", True)],
    "old-claim": [("106", True)],
}
ACTIVE = {
    "nmda-blockade": ["101", "104", RETRACTED],  # year desc
    "neuroplasticity": ["103", "104", "107"],  # undated last
}


# --- building a database -------------------------------------------------------------------


def add_article(session: Session, pmid: str, spec: dict[str, Any]) -> None:
    session.add(
        Article(
            pmid=pmid,
            record_type="PubmedArticle",
            title=spec["title"],
            journal=spec["journal"],
            year=spec["year"],
            doi=spec["doi"],
            pmc=spec.get("pmc"),
            record_sha256="0" * 64,
            raw_xml=b"<PubmedArticle/>",
            first_stored_at=T0,
            updated_at=T0,
        )
    )
    for i, author in enumerate(spec.get("authors", [])):
        if isinstance(author, str):
            session.add(ArticleAuthor(pmid=pmid, position=i, collective_name=author))
        else:
            session.add(
                ArticleAuthor(pmid=pmid, position=i, last_name=author[0], initials=author[1])
            )
    for i, name in enumerate(spec.get("types", [])):
        session.add(ArticlePublicationType(pmid=pmid, position=i, name=name))


def add_query(
    session: Session, claim: Claim, label: str, position: int, runs: list[RefreshRun]
) -> None:
    query = Query(claim=claim, label=label, term=f"{label}[tiab]", position=position)
    session.add(query)
    session.flush()
    for n, refresh in enumerate(runs):
        session.add(
            SearchRun(
                refresh_run_id=refresh.id,
                query_id=query.id,
                term=f"{label}[tiab] AND humans[mh]",
                params={"db": "pubmed", "retmax": 10000, "api_key": "SECRET-KEY"},
                started_at=refresh.started_at,
                status="ok",
                count=10 + n,
                retrieved=10 + n,
                stored=10 + n,
                query_translation=f'"{label}"[Title/Abstract] run {n}',
                pmid_set_sha256=f"{n:x}" * 64,
            )
        )


def seed(session: Session) -> None:
    claim_set = ClaimSet(
        slug="ketamine-test", title="Ketamine & pain", source="A blog", updated_at=T0
    )
    session.add(claim_set)
    session.flush()
    refreshes = [
        RefreshRun(claim_set_id=claim_set.id, started_at=t, status=s, tool_version="0",
                   source_location="https://eutils.example/")
        for t, s in ((T0, "ok"), (T1, "incomplete"))
    ]  # fmt: skip
    session.add_all(refreshes)
    for pmid, spec in STUDIES.items():
        add_article(session, pmid, spec)
    session.add(ArticleLink(pmid=RETRACTED, position=0, ref_type="RetractionIn", ref_pmid="9"))
    session.add(ArticleLink(pmid="101", position=0, ref_type="CommentIn", ref_pmid="8"))
    session.flush()
    for position, key in enumerate(LINKS):
        active = key != "old-claim"
        claim = Claim(claim_set_id=claim_set.id, key=key, statement=f"Statement of {key}",
                      section="Section A", position=position, active=active)  # fmt: skip
        session.add(claim)
        session.flush()
        add_query(session, claim, f"{key} q1", 0, refreshes)
        add_query(session, claim, f"{key} q2", 1, refreshes[:1])
        session.add(Query(claim=claim, label="dropped", term="x", position=2, active=False))
        for pmid, link_active in LINKS[key]:
            session.add(
                ClaimArticle(claim_id=claim.id, pmid=pmid, first_run_id=refreshes[0].id,
                             last_run_id=refreshes[1].id, first_seen_at=T0, last_seen_at=T1,
                             active=link_active)
            )  # fmt: skip


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'evidence.db'}")
    with db.session() as session:
        seed(session)
    return db


@pytest.fixture
def report(sqlite_db: Database) -> ReportData:
    with sqlite_db.session() as session:
        return load_report(session, now=NOW)


def study_rows(report: ReportData) -> dict[str, list[str]]:
    return {c.key: [s.pmid for s in c.studies] for c in report.claims}


# --- load_report ------------------------------------------------------------------------------


def test_load_report_on_an_empty_database_says_to_refresh(database_url: str) -> None:
    message = r"^nothing stored yet: run `evidence refresh` first$"
    with (
        Database(database_url).session() as session,
        pytest.raises(NothingStoredError, match=message),
    ):
        load_report(session)
    assert issubclass(NothingStoredError, EvidenceError)


def test_load_report_reads_active_claims_studies_and_latest_runs(database_url: str) -> None:
    db = Database(database_url)
    with db.session() as session:
        seed(session)
    with db.session() as session:
        data = load_report(session, now=NOW)
        assert claim_keys(session, "ketamine-test") == ["nmda-blockade", "neuroplasticity"]
    assert data.article.slug == "ketamine-test"
    assert data.generated_at == NOW
    assert data.last_refresh is not None
    assert (data.last_refresh.started_at, data.last_refresh.status) == (T1, "incomplete")
    assert study_rows(data) == ACTIVE
    nmda = data.claims[0]
    assert [q.label for q in nmda.queries] == ["nmda-blockade q1", "nmda-blockade q2"]
    q1, q2 = (q.latest_run for q in nmda.queries)
    assert q1 is not None and q2 is not None
    assert (q1.started_at, q1.count, q1.query_translation) == (
        T1,
        11,
        '"nmda-blockade q1"[Title/Abstract] run 1',
    )
    assert (q2.started_at, q2.count) == (T0, 10)
    assert dict(q1.params) == {"db": "pubmed", "retmax": "10000"}
    by_pmid = {s.pmid: s for c in data.claims for s in c.studies}
    assert by_pmid["101"].authors == tuple(f"Author {chr(65 + i)}" for i in range(8))
    assert by_pmid["103"].authors == ("Ketamine Study Group", "Doe A")
    assert by_pmid["101"].publication_types == ("Journal Article", "Randomized Controlled Trial")
    assert {p for p, s in by_pmid.items() if s.retracted} == {RETRACTED}
    assert [c.retracted_count for c in data.claims] == [1, 0]


def test_retracted_publication_type_also_marks_a_study(sqlite_db: Database) -> None:
    with sqlite_db.session() as session:
        session.add(ArticlePublicationType(pmid="103", position=5, name="Retracted Publication"))
    with sqlite_db.session() as session:
        data = load_report(session)
    assert {s.pmid for c in data.claims for s in c.studies if s.retracted} == {RETRACTED, "103"}


def test_load_report_asks_for_a_slug_when_several_articles(sqlite_db: Database) -> None:
    with sqlite_db.session() as session:
        session.add(ClaimSet(slug="another", title="Another", updated_at=T0))
    with sqlite_db.session() as session:
        with pytest.raises(UnknownArticleError, match=r"--article \(another, ketamine-test\)"):
            load_report(session)
        with pytest.raises(UnknownArticleError, match="no article 'nope'"):
            load_report(session, "nope")
        assert load_report(session, "another").claims == ()
        assert load_report(session, "ketamine-test").article.title == "Ketamine & pain"
        preferred = ArticleChoice(None, preferred="ketamine-test")  # the claims file's article
        assert load_report(session, preferred).article.slug == "ketamine-test"
        unknown = ArticleChoice(None, preferred="not-stored")
        with pytest.raises(UnknownArticleError, match="several articles"):
            load_report(session, unknown)


def test_cli_takes_the_article_of_the_default_claims_file(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from evidence.cli.main import cli

    with sqlite_db.session() as session:
        session.add(ClaimSet(slug="another", title="Another", updated_at=T0))
    env = {"EVIDENCE_DATABASE_URL": str(sqlite_db.url)}
    monkeypatch.chdir(tmp_path)  # no queries/ here: a choice is needed, and listed
    listed = CliRunner().invoke(cli, ["status"], env=env)
    assert listed.exit_code == 2 and "(another, ketamine-test)" in listed.stderr
    (tmp_path / "queries").mkdir()
    claims = tmp_path / "queries" / "ketamine-chronic-pain.toml"
    claims.write_text(GOOD_CLAIMS.replace('slug = "demo"', 'slug = "ketamine-test"'), "utf-8")
    chosen = CliRunner().invoke(cli, ["status", "--json"], env=env)
    assert chosen.exit_code == 0, chosen.stderr
    assert json.loads(chosen.stdout)["article"] == "ketamine-test"


# --- HTML -------------------------------------------------------------------------------------


def parse_html(report: ReportData) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(render_html(report))


def test_html_has_a_section_per_active_claim_and_pubmed_links(report: ReportData) -> None:
    root = parse_html(report)
    sections = {s.get("id"): s for s in root.xpath("//section[starts-with(@id, 'claim-')]")}
    assert set(sections) == {"claim-nmda-blockade", "claim-neuroplasticity"}
    for key, pmids in ACTIVE.items():
        rows = sections[f"claim-{key}"].xpath(".//tr[contains(@class, 'study')]")
        assert [row.get("data-pmid") for row in rows] == pmids
        for row, pmid in zip(rows, pmids, strict=True):
            links = row.xpath(".//a/@href")
            assert f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" in links
    summary = root.xpath("//section[@id='summary']//tbody/tr")
    assert [r.xpath("string(td[1])") for r in summary] == ["nmda-blockade", "neuroplasticity"]
    assert [r.xpath("string(td[4])") for r in summary] == ["3", "3"]


def test_html_leaves_out_inactive_claims_and_links(report: ReportData) -> None:
    page = render_html(report)
    for pmid in ("105", "106"):
        assert f"pubmed.ncbi.nlm.nih.gov/{pmid}/" not in page
        assert STUDIES[pmid]["title"] not in page
    assert "old-claim" not in page
    assert "dropped" not in page


def test_html_is_inert_but_shows_the_hostile_title(report: ReportData) -> None:
    root = parse_html(report)
    assert root.xpath("//script | //iframe | //object | //embed | //img | //link") == []
    for element in root.iter():
        assert not [name for name in element.attrib if name.lower().startswith("on")]
    hrefs = root.xpath("//@href | //@src | //@action")
    assert hrefs and not [h for h in hrefs if "javascript:" in h.lower()]
    allowed = ("#claim-", "https://pubmed.ncbi.nlm.nih.gov/", "https://doi.org/")
    assert [h for h in hrefs if not h.startswith(allowed)] == []
    (row,) = root.xpath("//section[@id='claim-nmda-blockade']//tr[@data-pmid='104']")
    text = row.text_content()
    assert SCRIPT in text and IMG in text and FORMULA_JOURNAL in text
    (doi_href,) = row.xpath(".//a[starts-with(@href, 'https://doi.org/')]/@href")
    assert doi_href == "https://doi.org/10.1000/x%22onmouseover%3Dalert%281%29"
    assert "SECRET-KEY" not in render_html(report)


def test_html_is_self_contained(report: ReportData) -> None:
    page = render_html(report)
    assert "<style>" in page
    assert "default-src 'none'" in page  # a Content-Security-Policy that forbids any script
    assert not re.search(r"@import|url\(|<link|<script|fonts\.googleapis|cdn", page, re.I)


def test_retracted_badge_only_on_the_retracted_study(report: ReportData) -> None:
    root = parse_html(report)
    badged = {
        row.get("data-pmid")
        for row in root.xpath("//tr[contains(@class, 'study')]")
        if row.xpath(".//span[contains(@class, 'badge-retracted')][normalize-space()='RETRACTED']")
    }
    assert badged == {RETRACTED}
    assert "#b42318" in render_html(report)  # the badge's red


def test_html_shows_queries_and_audit(report: ReportData) -> None:
    root = parse_html(report)
    (section,) = root.xpath("//section[@id='claim-nmda-blockade']")
    codes = section.xpath(".//table[contains(@class, 'queries')]//code/text()")
    assert codes == [f"nmda-blockade q{n}[tiab] AND humans[mh]" for n in (1, 2)]
    audit = root.xpath("string(//section[@id='audit'])")
    assert '"nmda-blockade q1"[Title/Abstract] run 1' in audit
    assert "1" * 64 in audit and "0" * 64 in audit
    assert "2026-11-23 09:00:00 UTC" in audit
    refreshes = root.xpath("//section[@id='audit']//table[contains(@class, 'refreshes')]//tbody/tr")
    assert [r.get("data-refresh") for r in refreshes] == ["1", "2"]  # oldest first
    for row in refreshes:
        source = row.xpath("string(td[contains(@class, 'source')])")
        assert "NOT NCBI: https://eutils.example/ (a local or stand-in server)" in source
    header = root.xpath("string(//header)")
    assert "Ketamine & pain" in header and "incomplete" in header
    assert "2026-11-23 09:00:00 UTC" in header and "refresh 2" in header
    assert "NOT NCBI: https://eutils.example/" in header


def test_authors_are_cut_after_six(report: ReportData) -> None:
    (row,) = parse_html(report).xpath("//section[@id='claim-nmda-blockade']//tr[@data-pmid='101']")
    assert (
        row.xpath("string(td[2])")
        == ", ".join(f"Author {chr(65 + i)}" for i in range(6)) + ", et al."
    )


# --- Markdown -----------------------------------------------------------------------------------


def test_markdown_escapes_pubmed_text(report: ReportData) -> None:
    text = render_markdown(report)
    assert "<script" not in text.lower() and "<img" not in text.lower()
    assert "[PMID 101](https://pubmed.ncbi.nlm.nih.gov/101/)" in text
    assert "[PMID 105]" not in text and "[PMID 106]" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "(https://doi.org/10.1000/x%22onmouseover%3Dalert%281%29)" in text
    assert text.count("**RETRACTED**") == 1
    assert "## nmda-blockade" in text and "## neuroplasticity" in text
    assert "SECRET-KEY" not in text


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("[click](javascript:alert(1))", r"\[click\](javascript:alert(1))"),
        ("a | b *c* _d_ `e`", r"a \| b \*c\* \_d\_ \`e\`"),
        ("<b>x</b>\nnext", "&lt;b&gt;x&lt;/b&gt; next"),
        (
            "see https://evil.example and www.evil.example",
            r"see https\://evil.example and www\.evil.example",
        ),
    ],
)
def test_md_text(raw: str, escaped: str) -> None:
    assert md_text(raw) == escaped


# --- CSV and JSON -------------------------------------------------------------------------------


def test_csv_round_trips_the_stored_values(report: ReportData, tmp_path: Path) -> None:
    files = write_report(report, tmp_path / "out")
    with files.csv.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
        rows = list(reader)
    expected = [(key, pmid) for key, pmids in ACTIVE.items() for pmid in pmids]
    assert [(r["claim_id"], r["pmid"]) for r in rows] == expected
    for row in rows:
        spec = STUDIES[row["pmid"]]
        assert row["title"] == spec["title"]
        assert row["journal"] == (
            f"'{spec['journal']}" if spec["journal"].startswith("=") else spec["journal"]
        )
        assert row["year"] == ("" if spec["year"] is None else str(spec["year"]))
        assert row["doi"] == (spec["doi"] or "")
        assert row["pmc"] == (spec.get("pmc") or "")
        assert row["publication_types"] == "; ".join(spec.get("types", []))
        assert row["retracted"] == ("true" if row["pmid"] == RETRACTED else "false")
        assert row["pubmed_url"] == f"https://pubmed.ncbi.nlm.nih.gov/{row['pmid']}/"
    authors = {r["pmid"]: r["authors"] for r in rows}
    assert authors["103"] == "Ketamine Study Group; Doe A"


@pytest.mark.parametrize(
    ("value", "guarded"),
    [("=1+1", "'=1+1"), ("+x", "'+x"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), (2020, 2020), (None, None)],
)  # fmt: skip
def test_guard_cell(value: str | int | None, guarded: str | int | None) -> None:
    assert guard_cell(value) == guarded


def test_export_json_holds_exactly_the_active_links(report: ReportData) -> None:
    doc = export_json(report)
    assert json.loads(json.dumps(doc)) == doc
    assert list(doc) == ["format_version", "tool_version", "generated_at", "article",
                         "last_refresh", "claims"]  # fmt: skip
    assert {c["id"]: [s["pmid"] for s in c["studies"]] for c in doc["claims"]} == ACTIVE
    for claim in doc["claims"]:
        for study in claim["studies"]:
            spec = STUDIES[study["pmid"]]
            assert (study["title"], study["journal"], study["year"], study["doi"]) == (
                spec["title"], spec["journal"], spec["year"], spec["doi"])  # fmt: skip
            assert study["retracted"] is (study["pmid"] == RETRACTED)
            assert study["pubmed_url"] == f"https://pubmed.ncbi.nlm.nih.gov/{study['pmid']}/"
    nmda = doc["claims"][0]
    assert [q["count"] for q in nmda["queries"]] == [11, 10]
    assert nmda["studies"][0]["doi_url"] == "https://doi.org/10.1000/101"
    assert "SECRET-KEY" not in json.dumps(doc)


def test_write_report_writes_four_files(report: ReportData, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "ketamine-test"
    files = write_report(report, out)
    assert [p.relative_to(out).as_posix() for p in files] == [
        "index.html",
        "report.md",
        "studies.csv",
        "audit/search-runs.json",
    ]
    assert all(p.is_file() and p.stat().st_size > 0 for p in files)
    assert files.html.read_text(encoding="utf-8") == render_html(report)
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(out).as_posix() for p in files)  # no temp files


def test_load_report_uses_a_fixed_number_of_queries(sqlite_db: Database) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(sqlite_db.engine, "before_cursor_execute", count)
    try:
        with sqlite_db.session() as session:
            load_report(session)
    finally:
        event.remove(sqlite_db.engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) <= 15, selects  # independent of the number of claims and studies
