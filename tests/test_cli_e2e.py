"""End to end over real HTTP: refresh twice, report, export, against a loopback E-utilities.

The server serves real PubMed records from ../shared when present (skipped otherwise) and
the project's own fixture records always.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from evidence import grading, stance
from evidence.cli.main import cli
from evidence.domain.claims import ClaimsFile, load_claims
from evidence.sources.pubmed_xml.parser import parse_articles
from tests.claims_files import BUNDLED, plan_searches


def run(env: Mapping[str, str], *args: str) -> Result:
    """Invoke the CLI as a user would, with an isolated environment."""
    return CliRunner().invoke(cli, list(args), env=dict(env), catch_exceptions=False)


def expected_links(
    claims: ClaimsFile, searches: Mapping[str, Sequence[str]]
) -> dict[str, set[str]]:
    return {c.id: {p for q in c.queries for p in searches[q.full_term]} for c in claims.claims}


def independent_fields(record: bytes) -> dict[str, Any]:
    """Title, journal, year and DOI read straight from the record XML with XPath."""
    root = etree.fromstring(record)

    def first(path: str) -> str | None:
        found = root.xpath(path)
        return " ".join("".join(found[0].itertext()).split()) if found else None

    year = first(".//JournalIssue/PubDate/Year") or first(".//Book/PubDate/Year")
    if year is None:
        medline = first(".//JournalIssue/PubDate/MedlineDate") or ""
        match = re.search(r"\d{4}", medline)
        year = match.group(0) if match else None
    return {
        "title": first(".//ArticleTitle") or first(".//BookTitle"),
        "journal": first(".//Journal/Title"),
        "year": int(year) if year else None,
        "doi": first("./PubmedData/ArticleIdList/ArticleId[@IdType='doi']"),
    }


def check_refresh_report_export(
    tmp_path: Path,
    server: Any,
    records: Mapping[str, bytes],
    searches: Mapping[str, Sequence[str]],
) -> None:
    claims = load_claims(BUNDLED)
    env = {
        "EVIDENCE_EUTILS_URL": server.url,
        "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.db'}",
        "NCBI_EMAIL": "team@example.org",
    }
    first = run(env, "refresh", str(BUNDLED), "--json")
    assert first.exit_code == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["status"] == "ok"
    union = {p for ids in searches.values() for p in ids}
    assert summary["totals"]["stored"] == len(union)
    for query in summary["queries"]:
        assert query["count"] == query["retrieved"] == len(searches[query["term"]])
        assert query["unresolved"] == {}
    assert {r.endpoint for r in server.requests} == {"esearch.fcgi", "efetch.fcgi"}
    assert all(r.method == "POST" for r in server.requests if r.endpoint == "efetch.fcgi")

    server.requests.clear()
    second = run(env, "refresh", str(BUNDLED), "--json")
    assert second.exit_code == 0, second.stderr
    again = json.loads(second.stdout)
    assert again["totals"]["new"] == again["totals"]["stored"] == 0
    assert {r.endpoint for r in server.requests} == {"esearch.fcgi"}

    links = expected_links(claims, searches)
    out = tmp_path / "report"
    report = run(env, "report", "--out", str(out))
    assert report.exit_code == 0, report.stderr
    assert (out / "index.html").is_file() and (out / "report.md").is_file()
    with (out / "studies.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_claim: dict[str, set[str]] = {}
    for row in rows:
        by_claim.setdefault(row["claim_id"], set()).add(row["pmid"])
    assert by_claim == {k: v for k, v in links.items() if v}

    exported = run(env, "export", "--format", "json")
    assert exported.exit_code == 0, exported.stderr
    data = json.loads(exported.stdout)
    for claim in data["claims"]:
        studies = {s["pmid"]: s for s in claim["studies"]}
        assert set(studies) == links[claim["id"]]
        levels = [s["evidence_level"]["level"] or 99 for s in claim["studies"]]
        assert levels == sorted(levels)  # strongest evidence first
        for pmid, study in studies.items():
            (parsed,) = parse_articles(records[pmid])
            assert study["evidence_level"]["design"] == grading.grade(parsed).design
            assert set(study["flags"]) == {str(f) for f in grading.flags(parsed)}
            suggestion = study["suggested_stance"]
            assert suggestion["method"] == "machine suggestion"
            assert suggestion["stance"] in stance.STANCES
            assert 0.0 <= study["relevance"] <= 1.0
            key = study["key_sentence"]["text"]
            assert key in " ".join(f"{parsed.title} {parsed.abstract}".split()) or not key
            truth = independent_fields(records[pmid])
            for name in ("title", "journal", "year", "doi"):
                if truth[name] is not None:
                    assert study[name] == truth[name], (pmid, name)


def test_end_to_end_on_fixture_records(
    tmp_path: Path,
    fixture_records: dict[str, bytes],
    eutils_server_factory: Callable[..., Any],
) -> None:
    claims = load_claims(BUNDLED)
    searches = plan_searches(claims, list(fixture_records), size=3)
    server = eutils_server_factory(fixture_records, searches)
    check_refresh_report_export(tmp_path, server, fixture_records, searches)


@pytest.mark.shared
def test_end_to_end_on_real_pubmed_records(
    tmp_path: Path,
    shared_corpus_records: dict[str, bytes],
    eutils_server_factory: Callable[..., Any],
) -> None:
    claims = load_claims(BUNDLED)
    searches = plan_searches(claims, list(shared_corpus_records), size=120)
    server = eutils_server_factory(shared_corpus_records, searches)
    check_refresh_report_export(tmp_path, server, shared_corpus_records, searches)


def test_unknown_claim_is_a_usage_error(tmp_path: Path) -> None:
    env = {"EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    result = run(env, "refresh", str(BUNDLED), "--claim", "no-such-claim")
    assert result.exit_code == 2
    assert "unknown claim 'no-such-claim'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_bad_claims_file_stores_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BUNDLED.read_text().replace('id = "neuroplasticity"', 'id = "nmda-blockade"'))
    env = {"EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    result = run(env, "refresh", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:" in result.stderr and "duplicate claim id 'nmda-blockade'" in result.stderr
    assert not (tmp_path / "x.db").exists()
    check = run(env, "claims", "check", str(bad))
    assert check.exit_code == 2


def test_report_before_refresh_is_a_clear_error(tmp_path: Path) -> None:
    env = {"EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    result = run(env, "report", "--out", str(tmp_path / "r"))
    assert result.exit_code != 0
    assert "evidence refresh" in result.stderr
    assert "Traceback" not in result.stderr
