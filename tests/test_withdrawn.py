"""Undo: a ``withdrawn`` row is appended, never a delete, and the reviewer has no verdict."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from evidence.domain.errors import NothingToWithdrawError
from evidence.domain.views import StudyInfo, VerdictInfo, consensus_verdict, standing_verdicts
from evidence.domain.vocab import VERDICTS, WITHDRAWN
from evidence.services.review import withdraw_verdict
from evidence.store.db import Database
from tests.test_review import env, run  # noqa: F401  (the refreshed database fixture)

CLAIM = "nmda-blockade"


def withdraw(environ: dict[str, str], pmid: str, reviewer: str) -> None:
    with Database(environ["EVIDENCE_DATABASE_URL"], create=False).session() as session:
        withdraw_verdict(session, CLAIM, pmid, reviewer=reviewer)


def test_withdrawn_is_not_a_verdict() -> None:
    assert WITHDRAWN not in VERDICTS


def test_a_withdrawn_verdict_no_longer_counts_and_the_pair_returns_to_the_queue(
    env: dict[str, str],  # noqa: F811
) -> None:
    args = ("review", "set", CLAIM, "30000001", "--verdict")
    assert run(env, *args, "supports", "--reviewer", "ann").exit_code == 0
    assert run(env, *args, "contradicts", "--reviewer", "bob").exit_code == 0
    withdraw(env, "30000001", "ann")

    (pair,) = json.loads(run(env, "review", "show", CLAIM, "30000001", "--json").stdout)
    assert [(h["reviewer"], h["verdict"]) for h in pair["history"]] == [
        ("ann", "supports"),
        ("bob", "contradicts"),
        ("ann", WITHDRAWN),
    ]
    assert pair["current"] == {"bob": "contradicts"} and not pair["disagreement"]
    queue = json.loads(run(env, "review", "queue", CLAIM, "--json").stdout)
    assert "30000001" not in {i["pmid"] for i in queue}  # bob's verdict still stands
    exported = json.loads(run(env, "export", "--verdict", "contradicts").stdout)
    claim = next(c for c in exported["claims"] if c["id"] == CLAIM)
    assert [s["pmid"] for s in claim["studies"]] == ["30000001"]  # the consensus is bob's

    withdraw(env, "30000001", "bob")
    (pair,) = json.loads(run(env, "review", "show", CLAIM, "30000001", "--json").stdout)
    assert pair["current"] == {} and len(pair["history"]) == 4
    queue = json.loads(run(env, "review", "queue", CLAIM, "--json").stdout)
    item = next(i for i in queue if i["pmid"] == "30000001")
    assert item["rereview"] is False  # back as not judged yet
    status = json.loads(run(env, "status", "--json").stdout)["claims"]
    assert next(s for s in status if s["claim"] == CLAIM)["by_verdict"] == {"not reviewed": 3}

    with pytest.raises(NothingToWithdrawError):
        withdraw(env, "30000001", "bob")  # nothing left to take back
    assert run(env, *args, "mixed", "--reviewer", "bob").exit_code == 0  # judging again works
    (pair,) = json.loads(run(env, "review", "show", CLAIM, "30000001", "--json").stdout)
    assert pair["current"] == {"bob": "mixed"}


def verdict(reviewer: str, value: str, sha: str = "a") -> VerdictInfo:
    from datetime import UTC, datetime

    return VerdictInfo(reviewer, value, None, datetime(2026, 1, 1, tzinfo=UTC), sha)


def test_standing_verdicts_drop_reviewers_whose_latest_row_is_withdrawn() -> None:
    rows = [verdict("ann", "supports"), verdict("bob", "mixed"), verdict("ann", WITHDRAWN)]
    assert standing_verdicts(rows) == (rows[1],)
    again = [*rows, verdict("ann", "contradicts")]
    study = StudyInfo("1", "t", (), None, None, None, None, (), False, verdicts=tuple(again))
    assert study.current_verdicts == {"bob": "mixed", "ann": "contradicts"}
    assert consensus_verdict(study) == "disputed"
    # the re-review rule looks at the latest verdict that stands, not at a withdrawal
    changed = [verdict("ann", "supports", sha="old"), verdict("bob", WITHDRAWN, sha="new")]
    study = StudyInfo("1", "t", (), None, None, None, None, (), False, verdicts=tuple(changed))
    study = replace(study, record_sha256="new")
    assert study.rereview_reason == "the PubMed record changed since the latest verdict"
