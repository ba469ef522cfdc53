"""Blind review beyond the card (Flask's test client): home's verdict counts and conclusion,
and the served report, are built from what the signed-in reviewer may see (the others'
verdicts on studies they have not judged left out), as ``export --as-reviewer`` does; an
editor who resolved a study has seen its verdicts."""

from __future__ import annotations

import pytest
from flask import Flask

from evidence.web.app import create_app
from tests.desk_data import CLAIM, SLUG, DeskData, context_for, csrf_of, run
from tests.test_desk import (  # noqa: F401  (fixtures and helpers)
    app,
    judge,
    login,
    queue_pmids,
    study,
)

REPORT = f"/articles/{SLUG}/report"
CONFLICTS = f"/articles/{SLUG}/conflicts"


def claim_row(home: str) -> str:
    """The home page's table row of the claim."""
    return home.split(f'data-claim="{CLAIM}"')[1].split("</tr>")[0]


def test_home_and_report_show_a_blind_claim_as_the_reviewer_may_see_it(
    app: Flask,  # noqa: F811
    desk_db: DeskData,
) -> None:
    done = run(desk_db.env, "claims", "set-review", CLAIM, "--reviewers", "2", "--blind")
    assert done.exit_code == 0, done.stderr
    bob, ann = login(app, "bob"), login(app, "ann")
    first, second = queue_pmids(bob)[:2]
    judge(bob, first, "contradicts")
    judge(bob, second, "contradicts")

    assert "contradicts" not in claim_row(ann.get("/").text)  # bob's verdicts left out
    assert "contradicts: 2" in claim_row(bob.get("/").text)  # his own
    report = ann.get(REPORT)
    assert report.status_code == 200 and "(bob)" not in report.text
    assert "(bob)" in bob.get(REPORT).text

    judge(ann, first, "supports")
    row = claim_row(ann.get("/").text)
    assert "disputed: 1" in row and "contradicts: 1" not in row  # second: still bob's alone
    report = ann.get(REPORT).text
    assert report.count("(bob)") == 1  # on the study both judged, not on the other
    judge(ann, second, "supports")
    assert "disputed: 2" in claim_row(ann.get("/").text)
    assert ann.get(REPORT).text.count("(bob)") == 2


@pytest.mark.parametrize("server_blind", [False, True])
def test_without_blind_review_home_and_report_show_every_verdict(
    desk_db: DeskData,
    server_blind: bool,
) -> None:
    """Claims without blind review show everything; the server's blind flag covers them all."""
    desk = create_app(context_for(desk_db.url), blind_review=server_blind)
    bob, ann = login(desk, "bob"), login(desk, "ann")
    judge(bob, queue_pmids(bob)[0], "contradicts")
    row = claim_row(ann.get("/").text)
    report = ann.get(REPORT)
    assert report.status_code == 200
    if server_blind:
        assert "contradicts" not in row and "(bob)" not in report.text
    else:
        assert "contradicts: 1" in row and "(bob)" in report.text


def test_an_editor_who_resolved_a_study_sees_its_verdicts(
    app: Flask,  # noqa: F811
    desk_db: DeskData,
) -> None:
    """Resolving, an editor saw every verdict on the study (on the conflicts page): blind
    review hides none of it from them afterwards (card, home, report), though they never
    judged it."""
    done = run(desk_db.env, "claims", "set-review", CLAIM, "--reviewers", "2", "--blind")
    assert done.exit_code == 0, done.stderr
    ann, bob, ed = login(app, "ann"), login(app, "bob"), login(app, "ed")
    pmid = queue_pmids(ann)[0]
    judge(ann, pmid, "supports")
    judge(bob, pmid, "contradicts")
    assert 'id="others-hidden"' in ed.get(study(pmid)).text
    assert "(ann)" not in ed.get(REPORT).text
    page = ed.get(CONFLICTS)  # the local desk: every role; the arbitrator sees the conflict
    assert "(ann)" in page.text and "(bob)" in page.text
    form = {"verdict": "mixed", "reason": "both", "csrf_token": csrf_of(page.text)}
    assert ed.post(f"{study(pmid)}/resolve", data=form).status_code == 302
    card = ed.get(study(pmid)).text
    assert 'id="others-hidden"' not in card and "(ann)" in card and "(bob)" in card
    assert "mixed: 1" in claim_row(ed.get("/").text)
    assert "(ann)" in ed.get(REPORT).text
