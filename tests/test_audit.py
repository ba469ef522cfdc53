"""The audit trail an auditor can check: refresh over a loopback E-utilities server, then the
report's audit appendix, ``audit/search-runs.json`` and ``evidence audit verify``."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, event, text

from evidence.cli.main import cli
from evidence.domain.audit import is_ncbi_eutils
from evidence.domain.claims import load_claims
from evidence.report.links import pubmed_search_url
from evidence.report.tables import format_time
from evidence.services.audit import verify
from tests.eutils_server import Fault
from tests.test_queue_statements import ledger

CLAIMS = """\
[article]
slug = "audit-test"
title = "Audit test article"

[[claims]]
id = "dated"
statement = "Drug X relieves pain."

[[claims.queries]]
label = "main"
term = "drugx[tiab] AND pain[tiab]"
mindate = "2000/01/01"
maxdate = "2020/12/31"
datetype = "edat"

[[claims]]
id = "plain"
statement = "Drug X lifts mood."

[[claims.queries]]
label = "mood query"
term = "drugx[tiab]"
filters = ["humans[mh]"]

[[claims.queries]]
label = "second"
term = "drugx mood[tiab]"
"""
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
MINUTES_ONLY = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.stderr
    return result


def by_hand_sha256(pmids: list[str]) -> str:
    """The README's recipe: PMIDs sorted numerically, one per line, newline after each."""
    return hashlib.sha256("".join(f"{p}\n" for p in sorted(pmids, key=int)).encode()).hexdigest()


@pytest.fixture
def ledger_setup(
    tmp_path: Path, fixture_records: dict[str, bytes], eutils_server_factory: Callable[..., Any]
) -> Callable[[str], dict[str, Any]]:
    """``setup(db_url)``: refresh the audit-test claims over a loopback server into db_url."""

    def setup(db_url: str, *faults: Fault) -> dict[str, Any]:
        claims_path = tmp_path / "audit.toml"
        claims_path.write_text(CLAIMS, encoding="utf-8")
        claims = load_claims(claims_path)
        pmids = sorted(fixture_records, key=int)
        terms = [q.full_term for c in claims.claims for q in c.queries]
        # Each query its own slice, in an order that is not numeric: rank order must survive.
        searches = {
            term: list(reversed(pmids[i : i + 5])) if i % 2 == 0 else pmids[i : i + 4]
            for i, term in enumerate(terms)
        }
        server = eutils_server_factory(fixture_records, searches)
        server.push(*faults)
        refreshed = run(
            "--db", db_url, "--eutils-url", server.url, "--email", "auditor@example.org",
            "refresh", str(claims_path), "--json",
        )  # fmt: skip
        return {
            "claims_path": claims_path,
            "claims": claims,
            "searches": searches,
            "server": server,
            "refresh": refreshed,
        }

    return setup


def stored_runs(db_url: str) -> dict[int, tuple[int, str, str, str]]:
    """run id -> (refresh id, term, status, stored hash), straight from the database."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("select id, refresh_run_id, term, status, pmid_set_sha256 from search_runs")
            )
            return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}
    finally:
        engine.dispose()


def execute(db_url: str, statement: str, **params: Any) -> None:
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


# --- the report's audit appendix and audit/search-runs.json ----------------------------------


def test_report_audit_trail_lists_pmids_source_and_links(
    tmp_path: Path, ledger_setup: Callable[..., dict[str, Any]]
) -> None:
    db_url = f"sqlite:///{tmp_path / 'audit.db'}"
    setup = ledger_setup(db_url)
    assert setup["refresh"].exit_code == 0, setup["refresh"].stderr
    searches, server = setup["searches"], setup["server"]
    out = tmp_path / "report"
    report = run("--db", db_url, "report", "--out", str(out))
    assert report.exit_code == 0, report.stderr
    assert report.stdout.splitlines() == [
        str(out / name)
        for name in ("index.html", "report.md", "studies.csv", "audit/search-runs.json")
    ]
    runs = stored_runs(db_url)
    assert len(runs) == 3

    # audit/search-runs.json: the PMIDs the server returned, in rank order, hashing to the
    # stored hash; the term and params as sent (no e-mail, tool, key); the source.
    document = json.loads((out / "audit" / "search-runs.json").read_text(encoding="utf-8"))
    assert document["article"] == "audit-test"
    (refresh,) = document["refreshes"]
    claims_sha = hashlib.sha256(setup["claims_path"].read_bytes()).hexdigest()
    assert refresh["claims_sha256"] == claims_sha
    assert refresh["claims_file"] == str(setup["claims_path"])
    assert refresh["source"] == {
        "kind": "eutils", "location": server.url, "snapshot": None, "ncbi": False,
    }  # fmt: skip
    assert {r["run_id"] for r in document["search_runs"]} == set(runs)
    for entry in document["search_runs"]:
        refresh_id, term, _, stored_hash = runs[entry["run_id"]]
        assert (entry["refresh_id"], entry["term"], entry["status"]) == (refresh_id, term, "ok")
        assert entry["pmids"] == searches[term]
        assert entry["pmid_set_sha256"] == stored_hash == by_hand_sha256(entry["pmids"])
        assert entry["count"] == entry["retrieved"] == len(searches[term])
        assert entry["query_translation"] == term
        assert entry["source"]["location"] == server.url
        assert not {"api_key", "email", "tool", "term"} & set(entry["params"])
        assert "auditor@example.org" not in json.dumps(entry)
        for moment in (entry["started_at"], entry["finished_at"]):
            parsed = datetime.fromisoformat(moment)
            assert parsed.utcoffset() == timedelta(0)
            assert abs(datetime.now(UTC) - parsed) < timedelta(minutes=5)
    dated = next(e for e in document["search_runs"] if e["claim_id"] == "dated")
    assert dated["params"]["mindate"] == "2000/01/01" and dated["params"]["datetype"] == "edat"

    # index.html: per refresh run its id, claims SHA-256, and the loopback server marked.
    page = lxml.html.fromstring((out / "index.html").read_text(encoding="utf-8"))
    (audit,) = page.xpath("//section[@id='audit']")
    (refresh_row,) = audit.xpath(".//table[contains(@class, 'refreshes')]//tbody/tr")
    assert refresh_row.get("data-refresh") == str(refresh["refresh_id"])
    assert refresh_row.xpath("string(td[1])") == str(refresh["refresh_id"])
    assert refresh_row.xpath("string(.//code[@class='claims-sha256'])") == claims_sha
    assert f"NOT NCBI: {server.url} (a local or stand-in server)" in refresh_row.text_content()
    assert f"NOT NCBI: {server.url}" in page.xpath("string(//header)")
    assert TIME.search(refresh_row.xpath("string(td[2])"))

    # Each search run: its <details> lists exactly the server's PMIDs; the PubMed link runs it.
    rows = audit.xpath(".//table[contains(@class, 'audit')]//tr[@data-run]")
    assert {int(r.get("data-run")) for r in rows} == set(runs)
    for row in rows:
        _, term, _, _ = runs[int(row.get("data-run"))]
        (details,) = row.xpath(".//details[contains(@class, 'pmids')]")
        expected = searches[term]
        assert details.xpath("string(summary)") == f"{len(expected)} PMIDs"
        assert details.xpath("string(code)").split() == expected
        assert len(TIME.findall(row.xpath("string(td[2])"))) == 2  # started and finished
        (href,) = row.xpath(".//a[contains(@class, 'pubmed-search')]/@href")
        parts = urlsplit(href)
        assert (parts.scheme, parts.netloc, parts.path) == ("https", "pubmed.ncbi.nlm.nih.gov", "/")
        sent = term if term != dated["term"] else f"({term}) AND 2000/01/01:2020/12/31[edat]"
        assert parse_qs(parts.query, strict_parsing=True) == {"term": [sent]}
    assert not MINUTES_ONLY.search(page.text_content())

    # report.md links to the machine-readable file and runs the search on PubMed.
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "[audit/search-runs.json](audit/search-runs.json)" in markdown
    assert markdown.count("[Run this search on PubMed](https://pubmed.ncbi.nlm.nih.gov/?term=") == 3
    assert f"Claims file SHA-256: ` {claims_sha} `" in markdown
    assert "NOT NCBI" in markdown and not MINUTES_ONLY.search(markdown)


@pytest.mark.parametrize(
    ("params", "term"),
    [
        ((), "x[tiab]"),
        ((("mindate", "2000"), ("maxdate", "3000")), "(x[tiab]) AND 2000:3000[dp]"),
        ((("datetype", "pdat"), ("mindate", "2000"), ("maxdate", "3000")),
         "(x[tiab]) AND 2000:3000[dp]"),
        ((("datetype", "edat"), ("mindate", "2001/02"), ("maxdate", "2002/03/04")),
         "(x[tiab]) AND 2001/02:2002/03/04[edat]"),
        ((("datetype", "mdat"), ("mindate", "2000"), ("maxdate", "2001")),
         "(x[tiab]) AND 2000:2001[mdat]"),
        ((("datetype", "crdt"), ("mindate", "2000"), ("maxdate", "2001")),
         "(x[tiab]) AND 2000:2001[crdt]"),
        ((("datetype", "edat"),), "x[tiab]"),  # no range: nothing to add
    ],
)  # fmt: skip
def test_pubmed_search_url_runs_the_term_as_sent(
    params: tuple[tuple[str, str], ...], term: str
) -> None:
    url = pubmed_search_url("x[tiab]", params)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "pubmed.ncbi.nlm.nih.gov", "/")
    assert parse_qs(parts.query, strict_parsing=True) == {"term": [term]}
    assert not re.search(r"[\s()\[\]\"]", url)  # percent-encoded: safe in Markdown links


@pytest.mark.parametrize(
    ("location", "ncbi"),
    [
        ("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/", True),
        ("https://eutils.ncbi.nlm.nih.gov:443/entrez/eutils/", True),
        ("http://eutils.ncbi.nlm.nih.gov/entrez/eutils/", False),
        ("https://eutils.ncbi.nlm.nih.gov.evil.example/", False),
        ("http://127.0.0.1:8123/", False),
        ("/srv/pubmed-mirror", False),
    ],
)
def test_only_ncbis_eutils_counts_as_ncbi(location: str, ncbi: bool) -> None:
    assert is_ncbi_eutils(location) is ncbi


def test_format_time_shows_seconds_and_utc() -> None:
    moment = datetime(2026, 11, 24, 15, 3, 7, 900, tzinfo=UTC)
    assert format_time(moment) == "2026-11-24 15:03:07 UTC"
    assert format_time(moment.astimezone(UTC).replace(tzinfo=None)) == "2026-11-24 15:03:07 UTC"
    assert format_time(None) == ""


# --- evidence audit verify ---------------------------------------------------------------------


def test_audit_verify_passes_then_names_tampered_runs(
    database_url: str, ledger_setup: Callable[..., dict[str, Any]]
) -> None:
    setup = ledger_setup(database_url)
    assert setup["refresh"].exit_code == 0, setup["refresh"].stderr
    runs = stored_runs(database_url)
    good = run("--db", database_url, "audit", "verify")
    assert good.exit_code == 0, good.stderr
    assert good.stdout == ""
    assert "3 search runs checked, 0 mismatches" in good.stderr
    as_json = run("--db", database_url, "audit", "verify", "--json", "--article", "audit-test")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == {"checked": 3, "skipped_failed": 0, "mismatches": []}

    first, second, _ = sorted(runs)
    searches = setup["searches"]
    dropped = searches[runs[first][1]][0]
    execute(database_url, "delete from search_run_pmids where search_run_id = :run and pmid = :p",
            run=first, p=dropped)  # fmt: skip
    execute(database_url, "update search_runs set pmid_set_sha256 = :h where id = :run",
            h="0" * 64, run=second)  # fmt: skip
    bad = run("--db", database_url, "audit", "verify")
    assert bad.exit_code == 3
    lines = bad.stdout.splitlines()
    assert len(lines) == 2
    refresh_id = runs[first][0]
    assert lines[0].startswith(f"refresh {refresh_id} run {first} audit-test: dated / main: ")
    assert "retrieved 5 but 4 PMIDs stored" in lines[0]
    assert f"stored SHA-256 {runs[first][3]} but the 4 stored PMIDs hash to" in lines[0]
    assert lines[1].startswith(f"refresh {refresh_id} run {second} audit-test: plain / mood query")
    assert f"stored SHA-256 {'0' * 64} but the 4 stored PMIDs hash to {runs[second][3]}" in lines[1]
    assert "3 search runs checked, 2 mismatches" in bad.stderr
    assert "Error: audit verify found 2 search run(s)" in bad.stderr
    found = json.loads(run("--db", database_url, "audit", "verify", "--json").stdout)
    assert found["checked"] == 3
    assert [(m["run_id"], m["claim"], m["query_label"]) for m in found["mismatches"]] == [
        (first, "dated", "main"),
        (second, "plain", "mood query"),
    ]
    assert found["mismatches"][1]["computed_sha256"] == runs[second][3]


def test_audit_verify_skips_failed_runs_and_rejects_unknown_articles(
    tmp_path: Path, ledger_setup: Callable[..., dict[str, Any]]
) -> None:
    db_url = f"sqlite:///{tmp_path / 'audit.db'}"
    setup = ledger_setup(
        db_url, Fault.http(400, b"<html>Bad Request</html>", endpoint="esearch.fcgi")
    )
    assert setup["refresh"].exit_code == 3
    assert sorted(r[2] for r in stored_runs(db_url).values()) == ["failed", "ok", "ok"]
    result = run("--db", db_url, "audit", "verify")
    assert result.exit_code == 0, result.stderr
    assert "2 search runs checked, 0 mismatches (1 failed runs skipped)" in result.stderr
    unknown = run("--db", db_url, "audit", "verify", "--article", "nope")
    assert unknown.exit_code == 2
    assert "no article 'nope' stored (known: audit-test)" in unknown.stderr


@contextmanager
def counted(engine: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_audit_verify_statements_do_not_grow_with_runs(tmp_path: Path) -> None:
    counts = []
    for n in (5, 40):
        db = ledger(tmp_path, n)
        with counted(db.engine) as statements, db.session() as session:
            found = verify(session)
        assert (found.checked, found.mismatches) == (n, ())
        counts.append(len(statements))
        db.dispose()
    assert counts[0] == counts[1] <= 4, counts
