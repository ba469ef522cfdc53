"""Cron conventions through the CLI over a loopback corpus that changes between runs:
``-q`` says nothing when nothing changed and a few lines when something did; exit 0, 3 or
4; an unchanged refresh costs the searches plus the re-check's one esearch."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from evidence.cli.main import cli
from evidence.domain.claims import load_claims
from tests.claims_files import BUNDLED
from tests.eutils_server import EutilsServer, Fault, synthetic_records
from tests.test_recheck import retracted

ESEARCH, EFETCH = "esearch.fcgi", "efetch.fcgi"
CLAIM = "nmda-blockade"


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def test_cron_refreshes_exit_codes_and_quiet_output(
    tmp_path: Path, eutils_server_factory: Callable[..., EutilsServer]
) -> None:
    terms = [q.full_term for q in load_claims(BUNDLED).claim(CLAIM).queries]
    records = synthetic_records(["201", "202", "203"])
    server = eutils_server_factory(records, {t: ["201", "202", "203"] for t in terms})
    env = {"EVIDENCE_EUTILS_URL": server.url, "EVIDENCE_DATABASE_URL": str(tmp_path / "c.db")}
    args = ("refresh", str(BUNDLED), "--claim", CLAIM, "-q")
    first = run(env, *args)
    assert first.exit_code == 0, first.stderr

    before = len(server.requests)
    unchanged = run(env, *args)
    assert (unchanged.exit_code, unchanged.stdout, unchanged.stderr) == (0, "", "")
    made = server.requests[before:]
    assert [r.endpoint for r in made].count(ESEARCH) == len(terms) + 1  # + the re-check
    assert [r.endpoint for r in made].count(EFETCH) == 0

    judged = ("review", "set", CLAIM, "201", "--verdict", "supports", "--reviewer", "ann")
    assert run(env, *judged).exit_code == 0
    server.revise("201", retracted(records["201"]))  # PubMed retracts it, mdat moves
    attention = run(env, *args)
    assert attention.exit_code == 4, attention.output
    assert "retracted now: PMID 201 (PubMed)" in attention.stderr  # the one-line reason
    last = attention.stderr.strip().splitlines()[-1]
    assert last.startswith("Changed: refresh "), last  # exit 4 is news, not an error
    assert "Error" not in attention.stderr
    assert f"conclusion {CLAIM}: Supported" in attention.stderr  # the short summary
    assert len(attention.stderr.strip().splitlines()) <= 8
    found = json.loads(run(env, "diff", "--json").stdout)
    nmda = next(c for c in found["claims"] if c["claim"] == CLAIM)
    assert nmda["flagged"] == ["201: retracted (PubMed)"]

    calm = run(env, *args)  # nothing new since: quiet again
    assert (calm.exit_code, calm.stderr) == (0, "")

    server.push(Fault.http(400, b"<html>Bad Request</html>", endpoint=ESEARCH))
    failing = run(env, *args)
    assert failing.exit_code == 3 and "finished failed" in failing.stderr
    assert failing.stderr.strip().splitlines()[-1].startswith("Error: refresh ")
