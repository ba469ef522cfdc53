"""CLI contract: help everywhere, exit codes, secrets never leak, every record accounted for."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import lxml.html
import pytest
from click.testing import CliRunner, Result

from evidence.cli.main import cli
from evidence.domain.claims import load_claims
from tests.eutils_server import Fault

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "queries" / "ketamine-chronic-pain.toml"
SENTINEL = "SENTINEL-KEY-8c1f2e"


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, (*prefix, name)))
    return found


@pytest.mark.parametrize("path", all_commands(cli), ids=" ".join)
def test_every_command_has_help_and_is_in_the_readme(path: tuple[str, ...]) -> None:
    result = run({}, *path, "--help")
    assert result.exit_code == 0
    command: Any = cli
    for name in path:
        command = command.commands[name]
    assert command.help and command.help.strip(), f"{' '.join(path)} has no help text"
    assert f"evidence {' '.join(path)}" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("path", all_commands(cli), ids=" ".join)
def test_every_leaf_command_takes_quiet_and_verbose_after_it(path: tuple[str, ...]) -> None:
    command: Any = cli
    for name in path:
        command = command.commands[name]
    if isinstance(command, click.Group):
        return
    options = {opt for param in command.params for opt in getattr(param, "opts", ())}
    assert {"-q", "--quiet", "-v", "--verbose"} <= options


def test_quiet_and_verbose_after_the_subcommand(
    tmp_path: Path, tiny_records: dict[str, bytes], eutils_server_factory: Callable[..., Any]
) -> None:
    terms = claim_terms("anti-inflammatory")
    server = eutils_server_factory(tiny_records, dict.fromkeys(terms, sorted(tiny_records)))
    env = env_for(tmp_path, server)
    args = ("refresh", str(BUNDLED), "--claim", "anti-inflammatory")
    quiet = run(env, *args, "-q")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    verbose = run(env, *args, "-vv")
    assert verbose.exit_code == 0 and "DEBUG evidence" in verbose.stderr
    assert "DEBUG" not in run(env, *args).stderr


def test_python_dash_m_and_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "evidence", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith("evidence, version ")


def claim_terms(claim_id: str) -> list[str]:
    return [q.full_term for q in load_claims(BUNDLED).claim(claim_id).queries]


def env_for(tmp_path: Path, server: Any, **extra: str) -> dict[str, str]:
    return {
        "EVIDENCE_EUTILS_URL": server.url,
        "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        **extra,
    }


def test_api_key_never_leaks(
    tmp_path: Path,
    tiny_records: dict[str, bytes],
    eutils_server_factory: Callable[..., Any],
) -> None:
    pmids = sorted(tiny_records)
    server = eutils_server_factory(
        tiny_records, dict.fromkeys(claim_terms("neuroplasticity"), pmids)
    )
    echo = f'{{"error":"API rate limit exceeded","api-key":"{SENTINEL}"}}'.encode()
    server.push(Fault.http(429, echo, {"Retry-After": "0"}), Fault.http(503, echo))
    env = env_for(tmp_path, server, NCBI_API_KEY=SENTINEL)
    result = run(env, "-vv", "refresh", str(BUNDLED), "--claim", "neuroplasticity", "--json")
    assert result.exit_code == 0, result.stderr
    assert all(r.params.get("api_key") == SENTINEL for r in server.requests), "key must be sent"
    out = tmp_path / "report"
    assert run(env, "report", "--out", str(out)).exit_code == 0
    exported = run(env, "export")
    dump = "\n".join(sqlite3.connect(tmp_path / "cli.db").iterdump())
    for text in (result.stdout, result.stderr, exported.stdout, dump):
        assert SENTINEL not in text
    assert "MCID_" not in dump and "WebEnv" not in dump  # history handles expire: never stored
    written = [path for path in out.rglob("*") if path.is_file()]
    assert out / "audit" / "search-runs.json" in written
    for path in written:
        assert SENTINEL not in path.read_text(encoding="utf-8"), path
    retries = sqlite3.connect(tmp_path / "cli.db").execute("select retries from search_runs")
    assert "HTTP 429" in " ".join(row[0] for row in retries)  # the failure paths were taken


def test_records_efetch_does_not_return_are_unresolved_and_exit_3(
    tmp_path: Path,
    tiny_records: dict[str, bytes],
    eutils_server_factory: Callable[..., Any],
) -> None:
    pmids = [*sorted(tiny_records), "99999999"]
    server = eutils_server_factory(
        tiny_records, dict.fromkeys(claim_terms("anti-inflammatory"), pmids)
    )
    env = env_for(tmp_path, server)
    result = run(env, "refresh", str(BUNDLED), "--claim", "anti-inflammatory", "--json")
    assert result.exit_code == 3
    summary = json.loads(result.stdout)
    assert summary["status"] == "incomplete"
    (query,) = summary["queries"]
    assert set(query["unresolved"]) == {"99999999"}
    assert query["stored"] + len(query["unresolved"]) == query["new"] == len(pmids)
    assert "finished incomplete" in result.stderr
    exported = json.loads(run(env, "export").stdout)
    claim = next(c for c in exported["claims"] if c["id"] == "anti-inflammatory")
    assert {s["pmid"] for s in claim["studies"]} == set(tiny_records)
    run(env, "refresh", str(BUNDLED), "--claim", "anti-inflammatory")  # a second run
    out = tmp_path / "report"
    assert run(env, "report", "--out", str(out)).exit_code == 0
    page = lxml.html.fromstring((out / "index.html").read_text(encoding="utf-8"))
    rows = page.xpath("//section[@id='audit']//tbody/tr[contains(., 'anti-inflammatory')]")
    assert len(rows) == 2  # every search run is in the audit appendix, not only the latest
    assert all("99999999" in r.text_content() and "incomplete" in r.text_content() for r in rows)
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert markdown.count("Unresolved PMIDs: 99999999") == 2
    assert "**Not judged yet (3 studies)**" in markdown and "**Never searched**" in markdown


def test_a_failing_query_leaves_its_claim_untouched_and_the_rest_runs(
    tmp_path: Path,
    tiny_records: dict[str, bytes],
    eutils_server_factory: Callable[..., Any],
) -> None:
    pmids = sorted(tiny_records)
    searches = dict.fromkeys(claim_terms("nmda-blockade") + claim_terms("neuroplasticity"), pmids)
    server = eutils_server_factory(tiny_records, searches)
    server.push(Fault.http(400, b"<html>Bad Request</html>", endpoint="esearch.fcgi"))
    env = env_for(tmp_path, server)
    args = ("refresh", str(BUNDLED), "--claim", "nmda-blockade", "--claim", "neuroplasticity")
    result = run(env, *args, "--json")
    assert result.exit_code == 3
    summary = json.loads(result.stdout)
    assert summary["status"] == "failed"
    statuses = [(q["claim"], q["status"]) for q in summary["queries"]]
    assert statuses[0] == ("nmda-blockade", "failed")
    assert all(status == "ok" for _, status in statuses[1:])
    exported = {c["id"]: c for c in json.loads(run(env, "export").stdout)["claims"]}
    assert exported["nmda-blockade"]["studies"] == []
    assert {s["pmid"] for s in exported["neuroplasticity"]["studies"]} == set(pmids)
