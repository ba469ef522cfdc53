"""Each claim's conclusion states direction and certainty together, or why it cannot
(search failed, never searched, no studies, not judged), in HTML, Markdown, status and
exports; an unreachable E-utilities server stops the refresh at once with exit 1."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner, Result

from evidence.cli.main import cli
from evidence.domain.claims import load_claims
from tests.claims_files import BUNDLED


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def terms(claim: str) -> list[str]:
    return [q.full_term for q in load_claims(BUNDLED).claim(claim).queries]


@pytest.fixture
def env(
    tmp_path: Path, tiny_records: dict[str, bytes], eutils_server_factory: Callable[..., Any]
) -> dict[str, str]:
    """nmda-blockade finds the three tiny records; neuroplasticity finds nothing."""
    searches = {**dict.fromkeys(terms("nmda-blockade"), sorted(tiny_records))}
    searches.update({key: [] for key in terms("neuroplasticity")})
    server = eutils_server_factory(tiny_records, searches)
    env = {"EVIDENCE_EUTILS_URL": server.url, "EVIDENCE_DATABASE_URL": str(tmp_path / "c.db")}
    args = ("refresh", str(BUNDLED), "--claim", "nmda-blockade", "--claim", "neuroplasticity")
    assert run(env, *args).exit_code == 0
    return env


def level_one_pmid(env: dict[str, str]) -> str:
    exported = json.loads(run(env, "export").stdout)
    studies = next(c for c in exported["claims"] if c["id"] == "nmda-blockade")["studies"]
    return next(s["pmid"] for s in studies if s["evidence_level"]["level"] == 1)


def conclusions(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {c["claim"]: c for c in json.loads(run(env, "status", "--json").stdout)["claims"]}


def test_a_contradicting_meta_analysis_reads_contradicted_high_everywhere(
    env: dict[str, str], tmp_path: Path
) -> None:
    pmid = level_one_pmid(env)
    verdict = ("review", "set", "nmda-blockade", pmid, "--verdict", "contradicts")
    assert run(env, *verdict, "--reviewer", "ann").exit_code == 0
    status = conclusions(env)
    assert status["nmda-blockade"]["conclusion_label"] == "Contradicted · high certainty"
    assert status["nmda-blockade"]["conclusion"] == "contradicted"
    assert status["neuroplasticity"]["conclusion_label"] == "No studies found"
    assert status["anti-inflammatory"]["conclusion_label"] == "Never searched"
    text = run(env, "status").stdout
    assert "nmda-blockade: Contradicted · high certainty (3 studies)" in text

    out = tmp_path / "report"
    assert run(env, "report", "--out", str(out)).exit_code == 0
    page = lxml.html.fromstring((out / "index.html").read_bytes())
    row = page.xpath("//section[@id='summary']//tr[@data-claim='nmda-blockade']")[0]
    badge = row.xpath(".//span[contains(@class, 'conclusion')]")[0]
    assert badge.text_content() == "Contradicted · high certainty"
    assert "conclusion-contradicted" in badge.get("class")  # red, not certainty's green
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "**Contradicted · high certainty**" in markdown
    assert "**No studies found**" in markdown and "**Never searched**" in markdown
    exported = json.loads(run(env, "export").stdout)
    claim = next(c for c in exported["claims"] if c["id"] == "nmda-blockade")
    assert claim["conclusion"]["label"] == "Contradicted · high certainty"
    csv_text = (out / "studies.csv").read_text(encoding="utf-8")
    assert csv_text.splitlines()[0].endswith(",claim_conclusion,flag_sources")
    assert "Contradicted · high certainty" in csv_text


def test_not_judged_and_no_results_are_told_apart(env: dict[str, str]) -> None:
    status = conclusions(env)
    assert status["nmda-blockade"]["conclusion_label"] == "Not judged yet (3 studies)"
    assert "nmda-blockade: Not judged yet (3 studies)\n" in run(env, "status").stdout  # once
    assert status["neuroplasticity"]["searches"] == {"no-results": 2}
    assert status["anti-inflammatory"]["searches"] == {"never-run": len(terms("anti-inflammatory"))}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_server_stops_the_refresh_with_one_line_and_exit_1(
    tmp_path: Path,
) -> None:
    port = closed_port()
    env = {
        "EVIDENCE_EUTILS_URL": f"http://127.0.0.1:{port}/entrez/eutils/",
        "EVIDENCE_DATABASE_URL": str(tmp_path / "offline.db"),
        "EVIDENCE_MAX_ATTEMPTS": "2",
    }
    result = run(env, "refresh", str(BUNDLED))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert f"cannot reach E-utilities at 127.0.0.1:{port}: connection refused" in lines[0]
    assert "EVIDENCE_EUTILS_URL" in lines[0]
    assert lines[0].endswith("offline? try `make demo`")  # the offline demo, named
    status = conclusions(env)  # one search run, failed; the rest never ran
    labels = [c["conclusion_label"] for c in status.values()]
    assert labels[0] == "Search failed (see audit)"
    assert set(labels[1:]) == {"Never searched"}
    out = tmp_path / "report"
    assert run(env, "report", "--out", str(out)).exit_code == 0
    page = lxml.html.fromstring((out / "index.html").read_bytes())
    badges = page.xpath("//section[@id='summary']//span[contains(@class, 'conclusion')]")
    assert next(b.text_content() for b in badges) == "Search failed (see audit)"
    assert "0 studies" not in page.text_content()
