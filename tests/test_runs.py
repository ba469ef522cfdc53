"""``evidence runs`` and ``evidence diff`` over a loopback server whose answers change."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from evidence.cli.main import cli
from evidence.domain.claims import load_claims
from tests.claims_files import BUNDLED
from tests.eutils_server import synthetic_records


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def test_runs_and_diff_follow_what_changed(
    tmp_path: Path, eutils_server_factory: Callable[..., Any]
) -> None:
    terms = [q.full_term for q in load_claims(BUNDLED).claim("nmda-blockade").queries]
    records = synthetic_records(["101", "102", "103", "104"])
    searches: dict[str, list[str]] = {term: ["101", "102", "103"] for term in terms}
    server = eutils_server_factory(records, searches)
    env = {"EVIDENCE_EUTILS_URL": server.url, "EVIDENCE_DATABASE_URL": str(tmp_path / "r.db")}
    args = ("refresh", str(BUNDLED), "--claim", "nmda-blockade")
    assert run(env, *args).exit_code == 0
    one = run(env, "diff")
    assert one.exit_code == 2 and "diff needs two refresh runs; 1 stored" in one.stderr
    judged = ("review", "set", "nmda-blockade", "102", "--verdict", "supports", "--reviewer", "a")
    assert run(env, *judged).exit_code == 0
    for term in terms:
        searches[term] = ["102", "103", "104"]
    assert run(env, *args).exit_code == 0
    status = {c["claim"]: c for c in json.loads(run(env, "status", "--json").stdout)["claims"]}
    assert status["nmda-blockade"]["new_since_review"] == 1  # 104, linked after the verdict
    assert status["nmda-blockade"]["last_searched"] is not None
    assert status["neuroplasticity"]["last_searched"] is None
    assert "new since the last review: 1" in run(env, "status").stdout

    history = json.loads(run(env, "runs", "--json").stdout)
    assert [(r["id"], r["status"], r["queries"]) for r in history] == [
        (1, "ok", len(terms)),
        (2, "ok", len(terms)),
    ]
    assert history[0]["new"] == 3 and history[1]["new"] == 1
    assert all(r["requests"] >= len(terms) and r["seconds"] is not None for r in history)
    assert history[0]["claims"] == ["nmda-blockade"]
    text = run(env, "runs").stdout.splitlines()
    assert len(text) == 2 and " ok " in text[1] and "eutils http://127.0.0.1" in text[1]

    found = json.loads(run(env, "diff", "--json").stdout)
    assert (found["run_a"], found["run_b"]) == (1, 2)
    nmda = next(c for c in found["claims"] if c["claim"] == "nmda-blockade")
    assert (nmda["added"], nmda["dropped"], nmda["changed"]) == (["104"], ["101"], [])
    other = next(c for c in found["claims"] if c["claim"] == "neuroplasticity")
    assert (other["in_a"], other["in_b"]) == (False, False)
    shown = run(env, "diff", "1", "2").stdout
    assert "added (1): 104" in shown and "dropped (1): 101" in shown
    assert "neuroplasticity: not searched in refresh 1 and 2" in shown
    unknown = run(env, "diff", "1", "9")
    assert unknown.exit_code == 2 and "unknown refresh run '9' (known: 1, 2)" in unknown.stderr


def test_status_says_when_the_ledger_was_last_refreshed_and_rechecked(
    tmp_path: Path, eutils_server_factory: Callable[..., Any]
) -> None:
    terms = [q.full_term for q in load_claims(BUNDLED).claim("nmda-blockade").queries]
    server = eutils_server_factory(synthetic_records(["301"]), {t: ["301"] for t in terms})
    env = {"EVIDENCE_EUTILS_URL": server.url, "EVIDENCE_DATABASE_URL": str(tmp_path / "s.db")}
    args = ("refresh", str(BUNDLED), "--claim", "nmda-blockade")
    assert run(env, *args).exit_code == 0
    first = json.loads(run(env, "status", "--json").stdout)
    assert first["last_refresh"]["run_id"] == 1 and first["last_recheck"] is not None
    assert run(env, *args).exit_code == 0
    text = run(env, "status").stdout.splitlines()[0]
    assert text.startswith("ketamine-infusion-chronic-pain: last refresh 2 (")
    assert ", ok); last re-check: 20" in text
