"""The Retraction Watch cross-check: a small CSV in Crossref's format, from a file and from
127.0.0.1 (the real dataset's URL is never fetched), matched by PMID and by DOI, flags
with their source, replaced atomically, and loaded with flat memory."""

from __future__ import annotations

import csv
import hashlib
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from evidence.cli.main import cli
from evidence.domain.claims import load_claims
from evidence.services.refresh import refresh
from evidence.services.retractions import update_dataset
from evidence.services.review import record_verdict
from evidence.services.views import load_report
from evidence.settings import Settings
from evidence.sources.retraction_watch import COLUMNS, iso_date, notice_of, reasons
from evidence.store.db import Database
from evidence.store.models import RecordChange, RetractionLoad, RetractionNotice
from tests.claims_files import one_query_claims
from tests.memory_source import MemorySource

ROOT = Path(__file__).resolve().parents[1]
# linked studies: PMID -> DOI
STUDIES = {
    "501": "10.1000/Doi.Only",  # retracted, the notice names only the DOI (other case)
    "502": "10.1000/pmid.only",  # retracted, the notice names only the PMID
    "503": "10.1000/corrected",  # a correction
    "504": "10.1000/concern",  # an expression of concern
    "505": "10.1000/reinstated",  # retracted, then reinstated
    "506": "10.1000/clean",  # nothing
}


def row(record: int, nature: str, date: str, doi: str = "", pmid: str = "0", **kw: str) -> dict:
    values = dict.fromkeys(COLUMNS, "")
    values.update(
        {
            "Record ID": str(record),
            "Title": f"Paper {record}",
            "RetractionDate": date,
            "OriginalPaperDOI": doi,
            "OriginalPaperPubMedID": pmid,
            "RetractionNature": nature,
            "Reason": "+Concerns/Issues About Data;+Paper Mill;",
            "Paywalled": "No",
        }
    )
    values.update(kw)
    return values


ROWS = [
    row(1001, "Retraction", "3/1/2024 0:00", doi="10.1000/DOI.ONLY"),
    row(1002, "Retraction", "12/31/2019 0:00", doi="unavailable", pmid="502"),
    row(1003, "Correction", "5/2/2023 0:00", pmid="503"),
    row(1004, "Expression of concern", "6/3/2022 0:00", doi="10.1000/concern"),
    row(1005, "Retraction", "1/10/2020 0:00", pmid="505"),
    row(1006, "Reinstatement", "2/11/2021 0:00", pmid="505"),
    row(1007, "Retraction", "7/4/2024 0:00", doi="10.9999/unrelated", pmid="999999"),
    row(1008, "Correction", "8/5/2024 0:00", doi="10.9999/other"),
]


def write_csv(path: Path, rows: Sequence[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def record(pmid: str, doi: str) -> bytes:
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">'
        f"{pmid}</PMID><Article><Journal><Title>Pain</Title></Journal><ArticleTitle>Study "
        f'{pmid}.</ArticleTitle><PublicationTypeList><PublicationType UI="D016449">'
        f"Randomized Controlled Trial</PublicationType></PublicationTypeList></Article>"
        f'</MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}'
        f'</ArticleId><ArticleId IdType="doi">{doi}</ArticleId></ArticleIdList></PubmedData>'
        f"</PubmedArticle>"
    ).encode()


def ledger(tmp_path: Path, url: str, pmids: Sequence[str] = tuple(STUDIES)) -> Database:
    records = {p: record(p, d) for p, d in STUDIES.items()}
    db = Database(url)
    claims = load_claims(one_query_claims(tmp_path, "ketamine"))
    refresh(db, MemorySource({"ketamine": list(pmids)}, records), claims)
    return db


@pytest.fixture
def served() -> Iterator[dict[str, bytes]]:
    """A tiny HTTP server on 127.0.0.1 serving ``files`` (path -> bytes)."""
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    files["__base__"] = f"http://127.0.0.1:{server.server_address[1]}".encode()
    yield files
    server.shutdown()
    server.server_close()


def flags_by_pmid(db: Database) -> dict[str, list[str]]:
    with db.session() as s:
        data = load_report(s)
    return {st.pmid: list(st.badges) for c in data.claims for st in c.studies}


def test_notices_flag_linked_studies_by_pmid_and_doi_with_their_source(
    tmp_path: Path, database_url: str
) -> None:
    db = ledger(tmp_path, database_url)
    with db.session() as s:
        record_verdict(s, "only", "501", "supports", reviewer="ann")
    dataset = write_csv(tmp_path / "rw.csv", ROWS)
    loaded = update_dataset(db, str(dataset))
    assert (loaded.rows, loaded.notices) == (8, 8)
    assert loaded.sha256 == hashlib.sha256(dataset.read_bytes()).hexdigest()
    assert loaded.dataset_date == "2024-08-05"
    badges = flags_by_pmid(db)
    assert badges["501"] == ["RETRACTED (Retraction Watch, 2024-03-01)"]  # DOI only
    assert badges["502"] == ["RETRACTED (Retraction Watch, 2019-12-31)"]  # PMID only
    assert badges["503"] == ["HAS ERRATUM (Retraction Watch, 2023-05-02)"]
    assert badges["504"] == ["EXPRESSION OF CONCERN (Retraction Watch, 2022-06-03)"]
    assert badges["505"] == ["REINSTATED (Retraction Watch, 2021-02-11)"]
    assert badges["506"] == []
    assert sorted((f.pmid, f.flag) for f in loaded.newly_flagged) == [
        ("501", "retracted"),
        ("502", "retracted"),
        ("503", "has-erratum"),
        ("504", "expression-of-concern"),
    ]
    with db.session() as s:
        data = load_report(s)
        changes = s.scalars(select(RecordChange).order_by(RecordChange.pmid)).all()
        assert {(c.pmid, c.source, c.refresh_run_id) for c in changes} == {
            (p, "Retraction Watch", None) for p in ("501", "502", "503", "504", "505")
        }
    studies = {st.pmid: st for st in data.claims[0].studies}
    assert studies["501"].retracted and not studies["505"].retracted
    assert studies["501"].rereview_reason == "retracted since the latest verdict"
    source = next(f for f in studies["501"].flag_sources if f.flag == "retracted")
    assert (source.source, source.nature, source.detail) == (
        "Retraction Watch",
        "Retraction",
        "record 1001, matched by DOI",
    )
    summary = data.claims[0].summarized
    assert summary.retracted == 2 and summary.retracted_by_source == {"Retraction Watch": 2}
    assert any("PMID 501: Retraction Watch, 2024-03-01" in r for r in summary.reasons)
    assert (data.changes[0].flagged[0]) == "501: retracted (Retraction Watch)"
    again = update_dataset(db, str(dataset))  # the same data again: nothing new
    assert again.newly_flagged == []
    db.dispose()


def test_a_new_load_replaces_the_previous_one(tmp_path: Path, database_url: str) -> None:
    db = ledger(tmp_path, database_url)
    update_dataset(db, str(write_csv(tmp_path / "a.csv", ROWS)))
    update_dataset(db, str(write_csv(tmp_path / "b.csv", ROWS[2:4])))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(RetractionNotice)) == 2
        assert s.scalar(select(func.count()).select_from(RetractionLoad)) == 2
    badges = flags_by_pmid(db)
    assert badges["501"] == [] and badges["503"] == ["HAS ERRATUM (Retraction Watch, 2023-05-02)"]
    db.dispose()


def test_the_refresh_applies_stored_notices_to_newly_linked_studies(tmp_path: Path) -> None:
    db = ledger(tmp_path, f"sqlite:///{tmp_path / 'later.db'}", pmids=["506"])
    update_dataset(db, str(write_csv(tmp_path / "rw.csv", ROWS)))
    records = {p: record(p, d) for p, d in STUDIES.items()}
    claims = load_claims(one_query_claims(tmp_path, "ketamine"))
    summary = refresh(db, MemorySource({"ketamine": ["506", "502"]}, records), claims)
    assert [(f.pmid, f.flag, f.source, f.date) for f in summary.newly_flagged] == [
        ("502", "retracted", "Retraction Watch", "2019-12-31")
    ]
    with db.session() as s:
        change = s.scalars(select(RecordChange).where(RecordChange.pmid == "502")).one()
        assert change.refresh_run_id == summary.refresh_id
    db.dispose()


def test_load_from_a_loopback_url_and_through_the_cli(
    tmp_path: Path, served: dict[str, bytes]
) -> None:
    body = write_csv(tmp_path / "rw.csv", ROWS).read_bytes()
    served["/data/retractionwatch"] = body
    url = served["__base__"].decode() + "/data/retractionwatch?mailto=team@example.org"
    db_url = f"sqlite:///{tmp_path / 'cli.db'}"
    ledger(tmp_path, db_url).dispose()
    env = {"EVIDENCE_DATABASE_URL": db_url, "EVIDENCE_RETRACTION_WATCH_URL": url}
    result = CliRunner().invoke(cli, ["retractions", "update", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["source"] == url and loaded["rows"] == 8
    assert loaded["sha256"] == hashlib.sha256(body).hexdigest()
    status = CliRunner().invoke(cli, ["status"], env=env)
    assert "RETRACTED studies: 2 (Retraction Watch: 2)" in status.stdout
    assert "PMID 501: RETRACTED (Retraction Watch, 2024-03-01)" in status.stdout
    out = tmp_path / "report"
    report = CliRunner().invoke(cli, ["report", "--out", str(out)], env=env)
    assert report.exit_code == 0, report.stderr
    assert "RETRACTED (Retraction Watch, 2024-03-01)" in (out / "index.html").read_text()
    assert "**RETRACTED (Retraction Watch, 2024-03-01)**" in (out / "report.md").read_text()
    with (out / "studies.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames and reader.fieldnames[-1] == "flag_sources"
        cells = {r["pmid"]: r["flag_sources"] for r in reader}
    assert cells["504"] == "EXPRESSION OF CONCERN (Retraction Watch, 2022-06-03)"
    exported = json.loads(CliRunner().invoke(cli, ["export", "--format", "json"], env=env).stdout)
    study = next(s for s in exported["claims"][0]["studies"] if s["pmid"] == "502")
    assert {"flag": "retracted", "source": "Retraction Watch", "date": "2019-12-31"}.items() <= (
        study["flag_sources"][0].items()
    )
    nowhere = served["__base__"].decode() + "/nope.csv"
    missing = CliRunner().invoke(cli, ["retractions", "update", "--from", nowhere], env=env)
    assert missing.exit_code == 1 and "Retraction Watch" in missing.stderr


def test_default_url_carries_the_email_and_is_a_setting() -> None:
    settings = Settings.from_env({"NCBI_EMAIL": "team@example.org"})
    assert settings.retraction_watch_url == (
        "https://api.labs.crossref.org/data/retractionwatch?mailto=team@example.org"
    )
    assert "mailto=" in Settings.from_env({}).retraction_watch_url
    other = Settings.from_env({"EVIDENCE_RETRACTION_WATCH_URL": "http://127.0.0.1:1/rw.csv"})
    assert other.retraction_watch_url == "http://127.0.0.1:1/rw.csv"


def test_row_parsing() -> None:
    assert iso_date("12/31/2019 0:00") == "2019-12-31"
    assert reasons("+Fake Peer Review;+Paper Mill;") == ("Fake Peer Review", "Paper Mill")
    notice = notice_of(row(1, "Retraction", "1/2/2020 0:00", doi="HTTPS://DOI.ORG/10.1/AbC"))
    assert notice is not None and notice.original_doi == "10.1/abc"
    assert notice.original_pmid is None
    assert notice_of(row(2, "Retraction", "1/2/2020 0:00")) is None  # names no paper
    assert notice_of(row(3, "Something else", "1/2/2020 0:00", pmid="5")) is None


def test_a_file_that_is_not_the_dataset_is_refused(tmp_path: Path) -> None:
    from evidence.domain.errors import RetractionDataError

    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    db = Database(f"sqlite:///{tmp_path / 'bad.db'}")
    with pytest.raises(RetractionDataError, match="not the Retraction Watch CSV"):
        update_dataset(db, str(bad))
    db.dispose()


LOAD_AND_MEASURE = """
import resource, sys
from evidence.services.retractions import update_dataset
from evidence.store.db import Database
db = Database(sys.argv[2])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
summary = update_dataset(db, sys.argv[1])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(summary.rows, (after - before) // 1024)
"""


def test_loading_streams_with_flat_memory(tmp_path: Path) -> None:
    """200,000 rows (~40 MB) load with peak RSS growing well under 50 MB (a subprocess, so
    the peak is this load's alone); reading them all at once would take hundreds."""
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(200_000):
            values = dict(row(i, "Retraction", "1/2/2020 0:00", doi=f"10.5555/x{i}", pmid=str(i)))
            values["Title"] = f"A retracted paper about topic {i} with a title of ordinary length"
            values["Author"] = "Smith J;Doe A;Roe B"
            writer.writerow([values[c] for c in COLUMNS])
    done = subprocess.run(
        [sys.executable, "-c", LOAD_AND_MEASURE, str(path), f"sqlite:///{tmp_path / 'big.db'}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    rows, grown_mb = (int(x) for x in done.stdout.split())
    assert rows == 200_000
    assert grown_mb < 50, f"peak RSS grew {grown_mb} MB while loading"
