"""The mirror from the command line: load, info, refresh --source mirror -> report (the audit
names the snapshot), compare with a loopback E-utilities server, sync from a loopback folder
listing, and the offline demo's steps."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import json
import shutil
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner, Result

from evidence.cli.main import cli
from evidence.domain.claims import load_claims
from evidence.sources.base import SearchQuery
from evidence.store.db import Database
from tests.claims_files import BUNDLED
from tests.mirror_support import BASELINE, MESH, UPDATES, mirror_source

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = "baseline 2026 + update 0003"


def run(env: Mapping[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=dict(env), catch_exceptions=False)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}"}


def load_fixtures(env: Mapping[str, str]) -> None:
    loaded = run(env, "mirror", "load", str(BASELINE), str(UPDATES), "--json")
    assert loaded.exit_code == 0, loaded.stderr
    assert [f["status"] for f in json.loads(loaded.stdout)] == ["loaded"] * 3
    assert run(env, "mirror", "load-mesh", str(MESH)).exit_code == 0


def test_refresh_from_the_mirror_then_report_names_the_snapshot(
    tmp_path: Path, env: dict[str, str]
) -> None:
    load_fixtures(env)
    info = run(env, "mirror", "info", "--json")
    data = json.loads(info.stdout)
    assert (data["snapshot"], data["records"], data["deleted"]) == (SNAPSHOT, 13, 1)
    assert data["last_file"]["name"] == "pubmed26n0003.xml"
    assert "Courtesy of the U.S. National Library of Medicine." in data["terms"]
    assert any("may not reflect the most current" in t for t in data["terms"])
    text = run(env, "mirror", "info").stdout
    assert f"snapshot   {SNAPSHOT}" in text and "desc2026.xml (11 descriptors)" in text

    refreshed = run(env, "refresh", str(BUNDLED), "--source", "mirror", "--json")
    assert refreshed.exit_code == 0, refreshed.stderr
    summary = json.loads(refreshed.stdout)
    found = {q["label"]: q["count"] for q in summary["queries"]}
    assert found["ketamine infusion for chronic pain: all study designs"] == 2  # 101 108
    assert summary["totals"]["stored"] > 0

    out = tmp_path / "report"
    assert run(env, "report", "--out", str(out)).exit_code == 0
    page = lxml.html.fromstring((out / "index.html").read_bytes())
    audit = " ".join(page.text_content().split())
    assert "mirror" in audit and SNAPSHOT in audit
    runs = json.loads(run(env, "runs", "--json").stdout)
    assert SNAPSHOT in json.dumps(runs)
    audit_json = json.loads((out / "audit" / "search-runs.json").read_text())
    [refresh] = audit_json["refreshes"]
    assert refresh["source"]["kind"] == "mirror" and refresh["source"]["snapshot"] == SNAPSHOT
    assert all(r["query_translation"] for r in audit_json["search_runs"])
    from evidence.store.models import SearchRun

    db = Database(env["EVIDENCE_DATABASE_URL"])
    with db.session() as session:  # each search's provenance: how the mirror read it
        notes = [w for run in session.query(SearchRun) for w in run.warnings]
    db.dispose()
    assert any("exploded through MeSH desc2026.xml" in n for n in notes)


def test_source_mirror_in_evidence_toml_is_the_default_source(
    tmp_path: Path, env: dict[str, str]
) -> None:
    load_fixtures(env)
    project = tmp_path / "project"
    project.mkdir()
    (project / "evidence.toml").write_text('source = "mirror"\n')
    result = run({**env, "EVIDENCE_HOME": str(project)}, "refresh", str(BUNDLED), "--json")
    assert result.exit_code == 0, result.stderr
    assert SNAPSHOT in json.dumps(json.loads(run(env, "runs", "--json").stdout))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "evidence.toml").write_text('source = "scopus"\n')
    refused = run({**env, "EVIDENCE_HOME": str(bad)}, "refresh", str(BUNDLED))
    assert refused.exit_code == 2 and "source must be one of eutils, mirror" in refused.stderr


def test_compare_shows_counts_differences_and_pubmeds_translation(
    tmp_path: Path, env: dict[str, str], eutils_server_factory: Any
) -> None:
    load_fixtures(env)
    db = Database(env["EVIDENCE_DATABASE_URL"])
    source = mirror_source(db)
    claims = load_claims(BUNDLED)
    searches = {
        q.full_term: list(
            source.search(SearchQuery(q.full_term, q.mindate, q.maxdate, q.datetype)).pmids
        )
        for c in claims.claims
        for q in c.queries
    }
    db.dispose()
    changed = claims.claim("infusion-chronic-pain").queries[1].full_term
    searches[changed] = ["999", *searches[changed][1:]]  # PubMed has one more, one less
    server = eutils_server_factory({}, searches)
    env = {**env, "EVIDENCE_EUTILS_URL": server.url, "NCBI_EMAIL": "t@example.org"}

    result = run(env, "mirror", "compare", str(BUNDLED), "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == sum(len(c.queries) for c in claims.claims)
    differ = [r for r in rows if not r["agree"]]
    assert [r["label"] for r in differ] == [claims.claim("infusion-chronic-pain").queries[1].label]
    assert differ[0]["only_live"] == ["999"] and differ[0]["only_mirror"] == ["108"]
    assert differ[0]["live_count"] == differ[0]["mirror_count"] == 2
    assert differ[0]["live_translation"]  # the loopback server echoes the term, as PubMed does

    one = run(env, "mirror", "compare", str(BUNDLED), "--claim", "nmda-blockade")
    assert one.exit_code == 0 and "same PMIDs" in one.stdout and "PubMed read it as" in one.stdout


@pytest.fixture
def nlm_folder(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTP server listing a folder, as NLM's updatefiles/ listing does."""
    folder = tmp_path / "nlm"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", folder
    server.shutdown()
    server.server_close()


def test_sync_fetches_and_loads_only_the_update_files_not_loaded_yet(
    env: dict[str, str], nlm_folder: tuple[str, Path]
) -> None:
    url, folder = nlm_folder
    assert run(env, "mirror", "load", str(BASELINE)).exit_code == 0
    packed = gzip.compress((UPDATES / "pubmed26n0003.xml").read_bytes())
    (folder / "pubmed26n0003.xml.gz").write_bytes(packed)
    digest = hashlib.md5(packed).hexdigest()
    (folder / "pubmed26n0003.xml.gz.md5").write_text(f"MD5(pubmed26n0003.xml.gz)= {digest}\n")
    (folder / "README.txt").write_text("not a data file")

    first = run(env, "mirror", "sync", "--from", url, "--json")
    assert first.exit_code == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["fetched"] == ["pubmed26n0003.xml.gz"]
    assert data["files"][0]["deleted"] == 1
    info = json.loads(run(env, "mirror", "info", "--json").stdout)
    assert info["snapshot"] == SNAPSHOT and info["last_file"]["md5_checked"] is True

    again = run({**env, "EVIDENCE_MIRROR_URL": url}, "mirror", "sync", "--json")
    assert json.loads(again.stdout)["fetched"] == []


def test_sync_says_when_the_listing_cannot_be_read(env: dict[str, str]) -> None:
    result = run(env, "mirror", "sync", "--from", "http://127.0.0.1:9/updatefiles/")
    assert result.exit_code == 1 and "cannot read the NLM file listing" in result.stderr


def test_the_demo_steps_run_offline_on_the_bundled_sample(tmp_path: Path) -> None:
    """What `make demo` does: load mirror-sample/, refresh the ketamine claims, report."""
    env = {"EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
           "EVIDENCE_EUTILS_URL": "http://127.0.0.1:9/nowhere/"}  # fmt: skip
    sample = ROOT / "mirror-sample"
    loaded = run(env, "mirror", "load", str(sample / "baseline"), str(sample / "updatefiles"))
    assert loaded.exit_code == 0, loaded.stderr
    assert run(env, "mirror", "load-mesh", str(sample / "desc-sample.xml")).exit_code == 0
    refreshed = run(env, "refresh", "--source", "mirror", str(BUNDLED), "--json")
    assert refreshed.exit_code in (0, 3), refreshed.stderr
    summary = json.loads(refreshed.stdout)
    assert all(q["count"] and q["count"] > 0 for q in summary["queries"]), summary["queries"]
    out = tmp_path / "report"
    assert run(env, "report", "--out", str(out)).exit_code == 0
    assert "baseline 2026" in (out / "index.html").read_text()
    shutil.rmtree(out)
