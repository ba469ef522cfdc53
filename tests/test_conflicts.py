"""Conflicts: detection (agree, disagree, incomplete, three reviewers), editors'
resolutions (append-only, with a reason, counted by the certainty), and who may resolve."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from evidence.certainty import summarize
from evidence.domain.errors import MissingReasonError, NoConflictError, NotAllowedError
from evidence.domain.review import (
    ReviewProtocol,
    VerdictInfo,
    decided_verdict,
    first_round,
    in_conflict,
)
from evidence.domain.views import ClaimReport, StudyInfo
from evidence.domain.vocab import KIND_RESOLUTION, WITHDRAWN, role_can
from evidence.services.conflicts import resolve
from evidence.store.db import Database
from tests.test_review import env, run  # noqa: F401  (the refreshed database fixture)

CLAIM = "nmda-blockade"
AT = datetime(2026, 11, 30, tzinfo=UTC)


def rows(*given: tuple[str, str], resolution: str | None = None) -> tuple[VerdictInfo, ...]:
    found = [
        VerdictInfo(name, verdict, None, AT + timedelta(minutes=i))
        for i, (name, verdict) in enumerate(given)
    ]
    if resolution is not None:
        found.append(
            VerdictInfo("eve", resolution, None, AT + timedelta(hours=1), kind=KIND_RESOLUTION)
        )
    return tuple(found)


TWO = ReviewProtocol(reviewers=2)
THREE = ReviewProtocol(reviewers=3)


@pytest.mark.parametrize(
    ("verdicts", "protocol", "conflict"),
    [
        (rows(("ann", "supports"), ("bob", "supports")), TWO, False),  # agree
        (rows(("ann", "supports"), ("bob", "contradicts")), TWO, True),  # disagree
        (rows(("ann", "supports")), TWO, False),  # incomplete
        (rows(("ann", "supports"), ("bob", "mixed")), THREE, False),  # incomplete, 3 needed
        (rows(("ann", "supports"), ("bob", "mixed"), ("cy", "supports")), THREE, True),
        (rows(("ann", "mixed"), ("bob", "mixed"), ("cy", "mixed")), THREE, False),
        (rows(("ann", "supports"), ("bob", "mixed"), resolution="mixed"), TWO, False),
        (rows(("ann", "supports"), ("bob", "mixed"), ("bob", WITHDRAWN)), TWO, False),
        (rows(("ann", "supports"), ("bob", "mixed")), ReviewProtocol(), True),
    ],
)
def test_conflict_detection(
    verdicts: tuple[VerdictInfo, ...], protocol: ReviewProtocol, conflict: bool
) -> None:
    assert in_conflict(verdicts, protocol) is conflict


def test_the_resolution_decides_the_pair_and_first_round_ignores_what_follows_it() -> None:
    disputed = rows(("ann", "supports"), ("bob", "contradicts"))
    assert decided_verdict(disputed) == "disputed"
    resolved = (
        *rows(("ann", "supports"), ("bob", "contradicts"), resolution="contradicts"),
        VerdictInfo("ann", "contradicts", None, AT + timedelta(hours=2)),  # after resolution
    )
    assert decided_verdict(resolved) == "contradicts"
    assert first_round(resolved) == {"ann": "supports", "bob": "contradicts"}
    reworded = (
        *disputed,
        VerdictInfo("eve", "mixed", None, AT, current_wording=False, kind=KIND_RESOLUTION),
    )
    assert decided_verdict(reworded) == "disputed"  # a resolution of the old wording


def study(pmid: str, verdicts: tuple[VerdictInfo, ...], level: int = 2) -> StudyInfo:
    return StudyInfo(
        pmid,
        f"Study {pmid}",
        (),
        None,
        2020,
        None,
        None,
        (),
        False,
        design="rct",
        design_label="RCT",
        evidence_level=level,
        verdicts=verdicts,
    )


def test_certainty_counts_the_resolution_and_agreeing_dual_verdicts_once() -> None:
    agreeing = study("1", rows(("ann", "supports"), ("bob", "supports")))
    disputed = study("2", rows(("ann", "supports"), ("bob", "contradicts")))
    claim = ClaimReport("c", "s", None, (), (agreeing, disputed), review=TWO)
    before = summarize(claim)
    assert before.by_verdict == {"supports": 1, "disputed": 1}  # the agreeing pair once
    assert before.certainty == "low" and before.conflicts == 1 and before.resolved == 0
    assert "downgraded: reviewers disagree on 1 study" in before.reasons
    assert before.direction == "supports"  # the conflict counts as neither side

    resolved = study(
        "2", rows(("ann", "supports"), ("bob", "contradicts"), resolution="contradicts")
    )
    after = summarize(ClaimReport("c", "s", None, (), (agreeing, resolved), review=TWO))
    assert after.by_verdict == {"supports": 1, "contradicts": 1}
    assert after.conflicts == 0 and after.resolved == 1
    assert after.direction == "mixed" and after.certainty == "moderate"
    assert "1 study decided by an editor's resolution" in after.reasons
    assert any("contradicting RCT (PMID 2)" in r for r in after.reasons)


def test_only_editors_and_admins_may_resolve() -> None:
    assert role_can(None, "resolve")  # the local desk and the CLI: every role
    assert role_can("editor", "resolve") and role_can("admin", "resolve")
    assert not role_can("reviewer", "resolve") and not role_can("guest", "resolve")


def judge(environ: dict[str, str], pmid: str, verdict: str, reviewer: str) -> None:
    args = ("review", "set", CLAIM, pmid, "--verdict", verdict, "--reviewer", reviewer)
    assert run(environ, *args).exit_code == 0


def test_the_conflict_queue_and_a_resolution_through_the_cli(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    run(env, "claims", "set-review", CLAIM, "--reviewers", "2", "--blind")
    judge(env, "30000001", "supports", "ann")
    judge(env, "30000001", "contradicts", "bob")
    judge(env, "30000002", "supports", "ann")
    judge(env, "30000002", "supports", "bob")
    judge(env, "30000003", "mixed", "ann")  # incomplete: not a conflict yet

    found = json.loads(run(env, "review", "conflicts", "--json").stdout)
    assert [(c["claim"], c["pmid"], c["verdicts"]) for c in found] == [
        (CLAIM, "30000001", {"ann": "supports", "bob": "contradicts"})
    ]
    text = run(env, "review", "conflicts", "--claim", CLAIM)
    assert (
        "ann: supports, bob: contradicts" in text.stdout and "1 conflict to resolve" in text.stderr
    )
    status = json.loads(run(env, "status", "--json").stdout)
    summary = next(c for c in status["claims"] if c["claim"] == CLAIM)
    assert summary["conflicts"] == 1 and summary["by_verdict"]["disputed"] == 1

    missing = run(env, "review", "resolve", CLAIM, "30000001", "--verdict", "mixed")
    assert missing.exit_code == 2  # --reason is required
    blank = run(
        env,
        "review",
        "resolve",
        CLAIM,
        "30000001",
        "--verdict",
        "mixed",
        "--reason",
        " ",
        "--editor",
        "eve",
    )
    assert blank.exit_code == 2 and "needs its reason" in blank.stderr
    agreed = run(
        env,
        "review",
        "resolve",
        CLAIM,
        "30000002",
        "--verdict",
        "mixed",
        "--reason",
        "x",
        "--editor",
        "eve",
    )
    assert agreed.exit_code == 2 and "do not disagree" in agreed.stderr
    done = run(
        env,
        "review",
        "resolve",
        CLAIM,
        "30000001",
        "--verdict",
        "contradicts",
        "--reason",
        "the primary outcome worsened",
        "--editor",
        "eve",
    )
    assert done.exit_code == 0, done.stderr

    assert json.loads(run(env, "review", "conflicts", "--json").stdout) == []
    status = json.loads(run(env, "status", "--json").stdout)
    summary = next(c for c in status["claims"] if c["claim"] == CLAIM)
    assert summary["conflicts"] == 0 and summary["resolved"] == 1
    assert summary["by_verdict"] == {"contradicts": 1, "supports": 1, "mixed": 1}
    (pair,) = json.loads(run(env, "review", "show", CLAIM, "30000001", "--json").stdout)
    assert pair["resolution"] == "contradicts"
    assert pair["current"] == {"ann": "supports", "bob": "contradicts"}  # reviewers' rows kept
    last = pair["history"][-1]
    assert (last["kind"], last["reviewer"], last["reason"]) == (
        "resolution",
        "eve",
        "the primary outcome worsened",
    )
    assert "(resolution) — the primary outcome worsened" in run(env, "review", "show", CLAIM).stdout
    exported = json.loads(run(env, "export", "--claim", CLAIM, "--verdict", "contradicts").stdout)
    (study_row,) = exported["claims"][0]["studies"]
    assert study_row["verdicts"][-1]["kind"] == "resolution"
    assert run(env, "report", "--out", str(tmp_path / "r")).exit_code == 0
    markdown = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "**Resolved: contradicts** (eve: the primary outcome worsened)" in markdown
    html = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert 'class="resolution"' in html and "1 unresolved conflict" not in html


def test_a_reviewer_role_cannot_resolve_through_the_service(
    env: dict[str, str],  # noqa: F811
) -> None:
    judge(env, "30000001", "supports", "ann")
    judge(env, "30000001", "contradicts", "bob")
    with Database(env["EVIDENCE_DATABASE_URL"], create=False).session(write=True) as session:
        with pytest.raises(NotAllowedError):
            resolve(session, CLAIM, "30000001", "mixed", editor="bob", reason="r", role="reviewer")
        with pytest.raises(MissingReasonError):
            resolve(session, CLAIM, "30000001", "mixed", editor="eve", reason=None, role="editor")
        with pytest.raises(NoConflictError):
            resolve(session, CLAIM, "30000002", "mixed", editor="eve", reason="r", role="editor")
        row = resolve(session, CLAIM, "30000001", "mixed", editor="eve", reason="r", role="editor")
    assert row.kind == KIND_RESOLUTION


def test_migration_0011_keeps_verdicts_as_reviewer_verdicts(database_url: str) -> None:
    from alembic import command
    from sqlalchemy import select

    from evidence.domain.audit import utcnow
    from evidence.domain.claims import load_claims
    from evidence.services.records import store_records
    from evidence.services.review import record_verdict
    from evidence.store import review, writes
    from evidence.store.db import alembic_config, upgrade
    from evidence.store.models import RefreshRun, Verdict
    from tests.claims_files import BUNDLED
    from tests.test_store import make_article

    db = Database(database_url)
    claims = load_claims(BUNDLED)
    with db.session() as s:
        claim_set = writes.sync_claims(s, claims)
        run_row = RefreshRun(
            claim_set_id=claim_set.id,
            started_at=utcnow(),
            status="ok",
            tool_version="t",
            source_kind="eutils",
            source_location="http://x/",
        )
        s.add(run_row)
        store_records(s, [make_article("1")])
        s.flush()
        claim = writes.claim_by_key(s, claims.slug, CLAIM)
        writes.link_claim(s, claim.id, run_row.id, ["1"])
        record_verdict(s, CLAIM, "1", "supports", reviewer="ann")
        before = triggers_on_claims(s)
    assert len(before) >= 1
    command.downgrade(alembic_config(db.engine), "0011")  # before the review protocol
    assert upgrade(db.engine) == "0011"  # 0011 -> head with the verdict in place
    db.dispose()
    db = Database(database_url)
    with db.session() as s:
        verdict = s.scalars(select(Verdict)).one()
        assert (verdict.kind, verdict.reason, verdict.verdict) == ("verdict", None, "supports")
        assert triggers_on_claims(s) == before  # 0010's data-generation triggers survive
        assert review.protocols(s, claim_set.id)[claim.id] == ReviewProtocol()
    db.dispose()


def triggers_on_claims(session: Any) -> list[str]:
    """The triggers on the claims table (SQLite's catalogue, or PostgreSQL's)."""
    from sqlalchemy import text

    if session.bind.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'claims'"
    else:
        query = (
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'claims'::regclass AND NOT tgisinternal"
        )
    return sorted(session.execute(text(query)).scalars())
