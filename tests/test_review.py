"""Reviewer verdicts through the CLI: queue, set, show, history, disagreement, re-review."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update

from evidence.cli.main import cli
from evidence.domain.claims import load_claims
from evidence.stance import STANCES
from evidence.store.db import Database
from evidence.store.models import Article

BUNDLED = Path(__file__).resolve().parents[1] / "queries" / "ketamine-chronic-pain.toml"


@pytest.fixture
def env(
    tmp_path: Path, tiny_records: dict[str, bytes], eutils_server_factory: Callable[..., Any]
) -> dict[str, str]:
    """A database refreshed for the claim nmda-blockade with the three tiny records."""
    terms = [q.full_term for q in load_claims(BUNDLED).claim("nmda-blockade").queries]
    server = eutils_server_factory(tiny_records, dict.fromkeys(terms, sorted(tiny_records)))
    env = {
        "EVIDENCE_EUTILS_URL": server.url,
        "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
        "NCBI_API_KEY": "0123456789abcdef0123456789abcdef0123",
    }
    result = run(env, "refresh", str(BUNDLED), "--claim", "nmda-blockade")
    assert result.exit_code == 0, result.stderr
    return env


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_verdicts_are_appended_and_the_queue_shrinks(env: dict[str, str]) -> None:
    queue = json.loads(run(env, "review", "queue", "nmda-blockade", "--json").stdout)
    assert {item["pmid"] for item in queue} == {"30000001", "30000002", "30000003"}
    assert all(item["level"] for item in queue)
    assert all(item["suggested_stance"] in STANCES for item in queue)  # machine suggestion
    args = ("review", "set", "nmda-blockade", "30000001", "--reviewer", "ann")
    assert run(env, *args, "--verdict", "supports").exit_code == 0
    assert run(env, *args, "--verdict", "mixed", "--note", "small trial").exit_code == 0
    bob = ("review", "set", "nmda-blockade", "30000001", "--verdict", "contradicts")
    assert run({**env, "EVIDENCE_REVIEWER": "bob"}, *bob).exit_code == 0

    queue = json.loads(run(env, "review", "queue", "--json").stdout)
    assert "30000001" not in {item["pmid"] for item in queue}
    (pair,) = json.loads(run(env, "review", "show", "nmda-blockade", "30000001", "--json").stdout)
    assert [(h["reviewer"], h["verdict"]) for h in pair["history"]] == [
        ("ann", "supports"),
        ("ann", "mixed"),
        ("bob", "contradicts"),
    ]
    assert pair["current"] == {"ann": "mixed", "bob": "contradicts"} and pair["disagreement"]
    text = run(env, "review", "show", "nmda-blockade").stdout
    assert "REVIEWERS DISAGREE" in text and "small trial" in text

    exported = json.loads(run(env, "export").stdout)
    claim = next(c for c in exported["claims"] if c["id"] == "nmda-blockade")
    study = next(s for s in claim["studies"] if s["pmid"] == "30000001")
    assert [v["verdict"] for v in study["verdicts"]] == ["supports", "mixed", "contradicts"]

    again = run(env, "refresh", str(BUNDLED), "--claim", "nmda-blockade")
    assert again.exit_code == 0  # a refresh never changes verdicts
    (pair,) = json.loads(run(env, "review", "show", "nmda-blockade", "30000001", "--json").stdout)
    assert len(pair["history"]) == 3 and not pair["needs_rereview"]


def test_a_study_retracted_after_its_verdict_is_flagged_for_rereview(env: dict[str, str]) -> None:
    set_args = ("review", "set", "nmda-blockade", "30000002", "--verdict", "supports")
    assert run(env, *set_args, "--reviewer", "ann").exit_code == 0
    db = Database(env["EVIDENCE_DATABASE_URL"])
    with db.session() as session:  # as a later refresh would record a retraction
        session.execute(
            update(Article)
            .where(Article.pmid == "30000002")
            .values(flags=["humans", "retracted"], record_sha256="changed")
        )
    db.dispose()
    (pair,) = json.loads(run(env, "review", "show", "nmda-blockade", "30000002", "--json").stdout)
    assert pair["needs_rereview"] and "retracted" in pair["rereview_reason"]
    queue = json.loads(run(env, "review", "queue", "nmda-blockade", "--json").stdout)
    assert {i["pmid"]: i["rereview"] for i in queue}["30000002"] is True
    out = Path(env["EVIDENCE_DATABASE_URL"].removeprefix("sqlite:///")).parent / "report"
    assert run(env, "report", "--out", str(out)).exit_code == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    row = page.split('data-pmid="30000002"')[1].split("</tr>")[0]
    assert "CHANGED SINCE REVIEW" in row
    assert "CHANGED SINCE REVIEW" not in page.split('data-pmid="30000001"')[1].split("</tr>")[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("no-such-claim", "30000001", "--verdict", "supports"),
            "unknown claim 'no-such-claim' for article 'ketamine-infusion-chronic-pain' "
            "(known: nmda-blockade, neuroplasticity",
        ),
        (("nmda-blockade", "123", "--verdict", "supports"), "PMID 123 is not linked"),
        (("neuroplasticity", "30000001", "--verdict", "supports"), "not linked to claim"),
    ],
)
def test_bad_review_input_is_a_one_line_usage_error(
    env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    result = run(env, "review", "set", *args, "--reviewer", "ann")
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_verdict_on_a_retracted_study_warns(env: dict[str, str]) -> None:
    db = Database(env["EVIDENCE_DATABASE_URL"])
    with db.session() as session:
        session.execute(
            update(Article).where(Article.pmid == "30000002").values(flags=["retracted"])
        )
    db.dispose()
    set_args = ("review", "set", "nmda-blockade", "30000002", "--verdict", "supports")
    again = run(env, *set_args, "--reviewer", "bob")
    assert again.exit_code == 0 and "Warning: PMID 30000002 is retracted" in again.stderr
    other = ("review", "set", "nmda-blockade", "30000001", "--verdict", "supports")
    assert "Warning" not in run(env, *other, "--reviewer", "bob").stderr


def test_a_verdict_needs_a_reviewer(env: dict[str, str]) -> None:
    result = run(env, "review", "set", "nmda-blockade", "30000001", "--verdict", "supports")
    assert result.exit_code == 2 and "EVIDENCE_REVIEWER" in result.stderr


def test_status_reports_certainty_from_reviewer_verdicts(env: dict[str, str]) -> None:
    before = json.loads(run(env, "status", "--json").stdout)
    claim = next(c for c in before["claims"] if c["claim"] == "nmda-blockade")
    assert claim["certainty"] == "very low" and claim["studies"] == 3
    assert claim["conclusion"] == "not-judged"
    assert claim["conclusion_label"] == "Not judged yet (3 studies)"
    assert "no reviewer verdicts on usable studies yet" in claim["reasons"]
    assert sum(claim["by_suggestion"].values()) == 3  # machine suggestions, counted apart
    exported = json.loads(run(env, "export").stdout)
    studies = next(c for c in exported["claims"] if c["id"] == "nmda-blockade")["studies"]
    for item in studies:
        verdict = "supports" if item["evidence_level"]["level"] != 2 else "contradicts"
        args = ("review", "set", "nmda-blockade", item["pmid"], "--verdict", verdict)
        assert run(env, *args, "--reviewer", "ann").exit_code == 0
    after = json.loads(run(env, "status", "--json").stdout)
    claim = next(c for c in after["claims"] if c["claim"] == "nmda-blockade")
    assert claim["by_verdict"].get("supports", 0) + claim["by_verdict"].get("contradicts", 0) == 3
    assert claim["certainty"] in ("high", "moderate", "low", "very low")
    assert claim["conclusion_label"] == f"Mixed · {claim['certainty']} certainty"
    text = run(env, "status").stdout
    assert (
        f"nmda-blockade: Mixed · {claim['certainty']} certainty (3 studies)" in text
        and "starts" in text
        and "machine suggestions (not verdicts)" in text
    )


def test_a_changed_statement_reopens_its_verdicts_and_marks_them(
    env: dict[str, str], tmp_path: Path
) -> None:
    args = ("review", "set", "nmda-blockade", "30000001", "--reviewer", "ann")
    assert run(env, *args, "--verdict", "supports").exit_code == 0
    queue = {i["pmid"] for i in json.loads(run(env, "review", "queue", "--json").stdout)}
    assert "30000001" not in queue
    before = BUNDLED.read_text(encoding="utf-8")
    statement = load_claims(BUNDLED).claim("nmda-blockade").statement
    reworded = tmp_path / "reworded.toml"
    reworded.write_text(before.replace(statement, "Ketamine enhances NMDA signalling."), "utf-8")

    check = run(env, "claims", "check", str(reworded), "--json")
    assert check.exit_code == 0 and json.loads(check.stdout)["reworded"] == {"nmda-blockade": 1}
    assert "claim 'nmda-blockade': the statement differs from stored version 1" in check.stderr
    assert json.loads(run(env, "claims", "check", str(BUNDLED), "--json").stdout)["reworded"] == {}
    result = run(env, "refresh", str(reworded), "--claim", "nmda-blockade", "--json")
    assert result.exit_code == 4  # the conclusion changed: the old wording's verdict left
    (change,) = json.loads(result.stdout)["conclusions"]
    assert change["before"] == "Supported · moderate certainty"
    assert change["after"] == "Not judged yet (3 studies)"
    assert json.loads(result.stdout)["reworded"] == {"nmda-blockade": 2}
    assert "nmda-blockade: the statement changed" in result.stderr
    queue_items = json.loads(run(env, "review", "queue", "--json").stdout)
    item = next(i for i in queue_items if i["pmid"] == "30000001")
    assert item["rereview"] is True  # back in the queue
    (pair,) = json.loads(run(env, "review", "show", "nmda-blockade", "30000001", "--json").stdout)
    assert pair["rereview_reason"] == "the claim's statement changed since the verdict"
    assert pair["current"] == {} and len(pair["history"]) == 1  # kept, not current
    status = json.loads(run(env, "status", "--json").stdout)["claims"]
    nmda = next(c for c in status if c["claim"] == "nmda-blockade")
    assert nmda["conclusion"] == "not-judged"  # the old wording's verdict no longer counts

    again = run(env, "refresh", str(reworded), "--claim", "nmda-blockade", "--json")
    assert json.loads(again.stdout)["reworded"] == {}  # same wording: nothing reopened
    assert run(env, *args, "--verdict", "contradicts").exit_code == 0
    (pair,) = json.loads(run(env, "review", "show", "nmda-blockade", "30000001", "--json").stdout)
    assert pair["current"] == {"ann": "contradicts"} and pair["rereview_reason"] is None


def test_a_query_change_alone_does_not_reopen_verdicts(env: dict[str, str], tmp_path: Path) -> None:
    args = ("review", "set", "nmda-blockade", "30000001", "--reviewer", "ann")
    assert run(env, *args, "--verdict", "supports").exit_code == 0
    spec = load_claims(BUNDLED).claim("nmda-blockade")
    changed = tmp_path / "requeried.toml"
    text = BUNDLED.read_text(encoding="utf-8")
    changed.write_text(text.replace(spec.queries[0].label, "renamed query"), "utf-8")
    result = run(env, "refresh", str(changed), "--claim", "nmda-blockade", "--json")
    assert json.loads(result.stdout)["reworded"] == {}
    queue = {i["pmid"] for i in json.loads(run(env, "review", "queue", "--json").stdout)}
    assert "30000001" not in queue
