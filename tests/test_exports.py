"""``evidence export``: CSV/XLSX/RIS/BibTeX/CSL-JSON read back and compared with the database."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bibtexparser
import click
import openpyxl
import pytest
import rispy
from click.testing import CliRunner, Result

from evidence.cli.main import cli
from evidence.cli.report import export_command
from evidence.domain.errors import UnknownClaimError
from evidence.report.exports import FORMATS, VERDICT_FILTERS, filter_report
from evidence.services.views import load_report
from evidence.store.db import Database
from evidence.store.models import (
    Article,
    ArticleAuthor,
    ArticlePublicationType,
    Claim,
    ClaimArticle,
    ClaimSet,
    RefreshRun,
    Verdict,
)

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LATEX_TITLE = r"-2 mg {braces} \n & 50% $5 #1 a_b x^2 ~3"
# pmid -> title, journal, year, doi, level, authors ((last, initials) or collective), types
STUDIES: dict[str, dict[str, Any]] = {
    "201": {
        "title": '=HYPERLINK("x")',
        "journal": "+1",
        "year": 2020,
        "doi": "10.1000/a_b",
        "level": 2,
        "authors": [("van der Berg", "JA"), "Ketamine Study Group"],
        "types": ["Journal Article", "Randomized Controlled Trial"],
    },
    "202": {
        "title": LATEX_TITLE,
        "journal": "@SUM(A1)",
        "year": 2018,
        "doi": None,
        "level": 5,
        "authors": [("Smith", "J")],
        "types": ["Journal Article"],
    },
    "203": {
        "title": "\tTab-led title",
        "journal": "Neuron",
        "year": None,
        "doi": "10.1000/203",
        "level": None,
        "authors": [],
        "types": [],
    },
    "204": {
        "title": "Ketamine in chronic pain",
        "journal": "A book on pain",
        "year": 2015,
        "doi": None,
        "level": 7,
        "authors": [("Doe", "A")],
        "types": ["Book Chapter"],
    },
}
LINKS = {"alpha": ["201", "202", "203"], "beta": ["201", "204"]}
# (claim, pmid) -> [(reviewer, verdict)], oldest first
VERDICTS = {("alpha", "201"): [("ann", "supports")],
            ("alpha", "202"): [("ann", "supports"), ("bob", "contradicts")]}  # fmt: skip
GUARDED = ("=", "+", "-", "@", "\t", "\r")


def seed(db: Database) -> None:
    with db.session() as session:
        claim_set = ClaimSet(slug="export-test", title="Exports", updated_at=T0)
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
        for pmid, spec in STUDIES.items():
            add_article(session, pmid, spec)
        session.flush()
        for position, (key, pmids) in enumerate(LINKS.items()):
            claim = Claim(
                claim_set_id=claim_set.id, key=key, statement=f"About {key}", position=position
            )
            session.add(claim)
            session.flush()
            for pmid in pmids:
                session.add(
                    ClaimArticle(
                        claim_id=claim.id,
                        pmid=pmid,
                        first_run_id=run.id,
                        last_run_id=run.id,
                        first_seen_at=T0,
                        last_seen_at=T0,
                    )
                )
                for reviewer, verdict in VERDICTS.get((key, pmid), []):
                    session.add(
                        Verdict(
                            claim_id=claim.id,
                            pmid=pmid,
                            verdict=verdict,
                            reviewer=reviewer,
                            created_at=T0,
                            record_sha256="0",
                        )
                    )


def add_article(session: Any, pmid: str, spec: dict[str, Any]) -> None:
    graded = spec["level"] is not None
    session.add(
        Article(
            pmid=pmid,
            record_type="PubmedArticle",
            title=spec["title"],
            journal=spec["journal"],
            year=spec["year"],
            doi=spec["doi"],
            evidence_level=spec["level"],
            design="d" if graded else None,
            design_label="Design" if graded else None,
            record_sha256="0" * 64,
            raw_xml=b"<PubmedArticle/>",
            first_stored_at=T0,
            updated_at=T0,
        )
    )
    for i, author in enumerate(spec["authors"]):
        if isinstance(author, str):
            session.add(ArticleAuthor(pmid=pmid, position=i, collective_name=author))
        else:
            session.add(
                ArticleAuthor(pmid=pmid, position=i, last_name=author[0], initials=author[1])
            )
    for i, name in enumerate(spec["types"]):
        session.add(ArticlePublicationType(pmid=pmid, position=i, name=name))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'exports.db'}"
    db = Database(url)
    seed(db)
    db.dispose()
    return {"EVIDENCE_DATABASE_URL": url, "EVIDENCE_EUTILS_URL": "http://127.0.0.1:9/"}


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, ["export", *args], env=env, catch_exceptions=False)


def exported(env: dict[str, str], *args: str) -> str:
    result = run(env, *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def guarded(value: str) -> str:
    return "'" + value if value.startswith(GUARDED) else value


def one_line(value: str) -> str:
    return " ".join(value.split())


def csv_links(env: dict[str, str], *args: str) -> list[tuple[str, str]]:
    rows = csv.DictReader(io.StringIO(exported(env, "--format", "csv", *args)))
    return [(row["claim_id"], row["pmid"]) for row in rows]


# --- spreadsheets ----------------------------------------------------------------------------


def test_csv_cells_equal_the_database_or_their_guarded_form(env: dict[str, str]) -> None:
    rows = list(csv.DictReader(io.StringIO(exported(env, "--format", "csv"))))
    assert [(r["claim_id"], r["pmid"]) for r in rows] == [
        ("alpha", "201"), ("alpha", "202"), ("alpha", "203"), ("beta", "201"), ("beta", "204"),
    ]  # fmt: skip
    for row in rows:
        spec = STUDIES[row["pmid"]]
        assert row["title"] == guarded(spec["title"])
        assert row["journal"] == guarded(spec["journal"])
        assert row["year"] == ("" if spec["year"] is None else str(spec["year"]))
        assert row["evidence_level"] == ("" if spec["level"] is None else str(spec["level"]))
        assert row["doi"] == (spec["doi"] or "")
    by_pmid = {r["pmid"]: r for r in rows}
    assert by_pmid["201"]["title"] == '\'=HYPERLINK("x")'
    assert (by_pmid["201"]["journal"], by_pmid["202"]["journal"]) == ("'+1", "'@SUM(A1)")
    assert by_pmid["202"]["title"] == "'" + LATEX_TITLE
    assert by_pmid["203"]["title"] == "'\tTab-led title"
    assert by_pmid["204"]["title"] == "Ketamine in chronic pain"  # not guarded
    assert by_pmid["201"]["authors"] == "van der Berg JA; Ketamine Study Group"
    assert {r["pmid"]: r["verdict"] for r in rows if r["claim_id"] == "alpha"} == {
        "201": "supports", "202": "disputed", "203": "not-reviewed",
    }  # fmt: skip


def test_xlsx_cells_equal_the_database_numbers_stay_numbers(
    env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "links.xlsx"
    result = run(env, "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    header, *rows = [list(row) for row in sheet.iter_rows()]
    names = [cell.value for cell in header]
    records = [{n: c for n, c in zip(names, row, strict=True)} for row in rows]
    assert len(records) == 5
    for record in records:
        spec = STUDIES[str(record["pmid"].value)]
        for column in ("title", "journal"):
            cell = record[column]
            assert (cell.value, cell.data_type) == (guarded(spec[column]), "s")
        assert record["year"].value == spec["year"]
        assert record["evidence_level"].value == spec["level"]
        if spec["year"] is not None:
            assert type(record["year"].value) is int and record["year"].data_type == "n"
            assert type(record["evidence_level"].value) is int
    first = next(r for r in records if r["pmid"].value == "201")
    assert first["title"].value == '\'=HYPERLINK("x")'


def test_xlsx_without_out_is_a_one_line_usage_error(env: dict[str, str]) -> None:
    result = run(env, "--format", "xlsx")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and "--out" in result.stderr


# --- reference formats -----------------------------------------------------------------------


def test_ris_reads_back_with_each_study_once(env: dict[str, str]) -> None:
    records = rispy.loads(exported(env, "--format", "ris"))
    assert [e["accession_number"] for e in records] == ["201", "202", "203", "204"]
    entries = {e["accession_number"]: e for e in records}
    for pmid, entry in entries.items():
        spec = STUDIES[pmid]
        assert entry["title"] == one_line(spec["title"])
        assert entry.get("year") == (str(spec["year"]) if spec["year"] else None)
        assert entry.get("doi") == spec["doi"]
        assert entry["urls"] == [f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"]
    assert entries["201"]["authors"] == ["van der Berg, JA", "Ketamine Study Group"]
    assert entries["201"]["journal_name"] == "+1"
    assert entries["201"]["type_of_reference"] == "JOUR"
    assert entries["204"]["type_of_reference"] == "CHAP"
    assert entries["204"]["secondary_title"] == "A book on pain"
    (note,) = entries["201"]["notes"]
    assert "Claims: alpha, beta" in note and "evidence level: 2 · Design" in note


def test_ris_for_one_claim_names_only_that_claim(env: dict[str, str]) -> None:
    entries = rispy.loads(exported(env, "--format", "ris", "--claim", "beta"))
    assert [e["accession_number"] for e in entries] == ["201", "204"]
    assert "Claims: beta;" in entries[0]["notes"][0]


def unlatex(text: str) -> str:
    """The inverse of the exporter's escapes, written independently of it."""
    table = [
        (r"\textbraceleft{}", "{"), (r"\textbraceright{}", "}"), (r"\textbackslash{}", "\\"),
        (r"\textasciicircum{}", "^"), (r"\textasciitilde{}", "~"), (r"\&", "&"), (r"\%", "%"),
        (r"\$", "$"), (r"\#", "#"), (r"\_", "_"),
    ]  # fmt: skip
    for escaped, char in table:
        text = text.replace(escaped, char)
    return text


def test_bibtex_reads_back_with_braces_balanced(env: dict[str, str]) -> None:
    text = exported(env, "--format", "bibtex")
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    entries = {e.key: e for e in library.entries}
    assert sorted(entries) == ["pmid201", "pmid202", "pmid203", "pmid204"]
    for key, entry in entries.items():
        spec = STUDIES[key[4:]]
        fields = {name: field.value for name, field in entry.fields_dict.items()}
        assert unlatex(fields["title"]) == one_line(spec["title"])
        assert fields["pmid"] == key[4:]
        assert fields.get("doi") == spec["doi"]
        assert fields.get("year") == (str(spec["year"]) if spec["year"] else None)
    assert entries["pmid201"].entry_type == "article"
    assert entries["pmid204"].entry_type == "incollection"
    assert entries["pmid201"]["author"] == "van der Berg, JA and {Ketamine Study Group}"
    assert unlatex(entries["pmid202"]["journal"]) == "@SUM(A1)"
    assert "Claims: alpha, beta" in entries["pmid201"]["note"]


def test_csl_json_reads_back(env: dict[str, str]) -> None:
    items = {i["PMID"]: i for i in json.loads(exported(env, "--format", "csl-json"))}
    assert sorted(items) == ["201", "202", "203", "204"]
    for pmid, item in items.items():
        spec = STUDIES[pmid]
        assert (item["id"], item["title"]) == (f"pmid{pmid}", spec["title"])
        assert item.get("DOI") == spec["doi"]
        assert item.get("container-title") == spec["journal"]
        issued = item.get("issued")
        assert issued == ({"date-parts": [[spec["year"]]]} if spec["year"] else None)
    assert items["201"]["type"] == "article-journal" and items["204"]["type"] == "chapter"
    assert items["201"]["author"] == [
        {"family": "van der Berg", "given": "JA"},
        {"literal": "Ketamine Study Group"},
    ]
    assert "Claims: alpha, beta" in items["201"]["note"]


# --- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "links"),
    [
        (("--claim", "beta"), [("beta", "201"), ("beta", "204")]),
        (("--level", "2"), [("alpha", "201"), ("beta", "201")]),
        (("--level", "5", "--claim", "alpha"), [("alpha", "201"), ("alpha", "202")]),
        (("--verdict", "supports"), [("alpha", "201")]),
        (("--verdict", "disputed"), [("alpha", "202")]),
        (("--verdict", "not-reviewed"), [("alpha", "203"), ("beta", "201"), ("beta", "204")]),
        (("--verdict", "contradicts"), []),
    ],
)
def test_filters(env: dict[str, str], args: tuple[str, ...], links: list[tuple[str, str]]) -> None:
    assert csv_links(env, *args) == links


def test_json_export_is_filtered_too(env: dict[str, str]) -> None:
    document = json.loads(exported(env, "--claim", "beta", "--level", "2"))
    assert [(c["id"], [s["pmid"] for s in c["studies"]]) for c in document["claims"]] == [
        ("beta", ["201"])
    ]


def test_an_unknown_claim_is_a_one_line_usage_error(env: dict[str, str]) -> None:
    result = run(env, "--format", "ris", "--claim", "gamma")
    assert result.exit_code == 2 and result.stdout == ""
    assert "unknown claim 'gamma'" in result.stderr and result.stderr.strip().count("\n") == 0


def test_filter_report_is_pure(env: dict[str, str]) -> None:
    db = Database(env["EVIDENCE_DATABASE_URL"])
    with db.session() as session:
        data = load_report(session)
    db.dispose()
    narrowed = filter_report(data, claims=["alpha"], max_level=2)
    assert [[s.pmid for s in c.studies] for c in narrowed.claims] == [["201"]]
    assert [len(c.studies) for c in data.claims] == [3, 2]
    with pytest.raises(UnknownClaimError):
        filter_report(data, claims=["nope"])


def _choices(option_name: str) -> list[str]:
    option = next(p for p in export_command.params if p.name == option_name)
    assert isinstance(option.type, click.Choice)
    return list(option.type.choices)


def test_cli_offers_every_verdict_filter_and_export_format() -> None:
    assert _choices("verdicts") == list(VERDICT_FILTERS)
    assert _choices("fmt") == list(FORMATS)


def test_text_export_to_a_file(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "refs.ris"
    result = run(env, "--format", "ris", "--out", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text(encoding="utf-8") == exported(env, "--format", "ris")
