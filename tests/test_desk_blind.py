"""Blind review beyond the card (Flask's test client): home's verdict counts and conclusion,
and the served report, stay hidden from a reviewer while others' verdicts on studies they
have not judged would show there."""

from __future__ import annotations

import pytest
from flask import Flask

from evidence.web.app import create_app
from tests.desk_data import CLAIM, SLUG, DeskData, context_for, csrf_of, run
from tests.test_desk import (  # noqa: F401  (fixtures and helpers)
    BASE,
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


def test_a_blind_claim_hides_home_counts_and_the_report_until_you_have_judged(
    app: Flask,  # noqa: F811
    desk_db: DeskData,
) -> None:
    done = run(desk_db.env, "claims", "set-review", CLAIM, "--reviewers", "2", "--blind")
    assert done.exit_code == 0, done.stderr
    bob, ann = login(app, "bob"), login(app, "ann")
    first, second = queue_pmids(bob)[:2]
    judge(bob, first, "contradicts")
    judge(bob, second, "contradicts")

    row = claim_row(ann.get("/").text)
    assert "contradicts" not in row and "conclusion-" not in row
    assert "2 studies other reviewers have judged" in row and "state=mine" in row
    assert "contradicts: 2" in claim_row(bob.get("/").text)  # bob judged both: he sees
    hidden = ann.get(REPORT)
    assert hidden.status_code == 403
    assert "bob" not in hidden.text and "contradicts" not in hidden.text
    assert f'href="{BASE}/?state=mine"' in hidden.text and "2 studies to judge first" in hidden.text
    assert bob.get(REPORT).status_code == 200

    judge(ann, first, "supports")
    assert "1 study other reviewers have judged" in claim_row(ann.get("/").text)
    assert ann.get(REPORT).status_code == 403
    judge(ann, second, "supports")
    row = claim_row(ann.get("/").text)
    assert "disputed: 2" in row and "Hidden" not in row  # the two disagree
    report = ann.get(REPORT)
    assert report.status_code == 200 and "bob" in report.text


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
    if server_blind:
        assert "contradicts" not in row and report.status_code == 403
    else:
        assert "contradicts: 1" in row and "Hidden" not in row
        assert report.status_code == 200 and "bob" in report.text


def test_an_editor_who_resolved_a_study_sees_its_verdicts(
    app: Flask,  # noqa: F811
    desk_db: DeskData,
) -> None:
    """Resolving, an editor saw every verdict on the study: blind review hides none of it from
    them afterwards (card, home, report), though they never judged it."""
    done = run(desk_db.env, "claims", "set-review", CLAIM, "--reviewers", "2", "--blind")
    assert done.exit_code == 0, done.stderr
    ann, bob, ed = login(app, "ann"), login(app, "bob"), login(app, "ed")
    pmid = queue_pmids(ann)[0]
    judge(ann, pmid, "supports")
    judge(bob, pmid, "contradicts")
    assert 'id="others-hidden"' in ed.get(study(pmid)).text
    assert ed.get(REPORT).status_code == 403
    page = ed.get(CONFLICTS)  # the local desk: every role
    form = {"verdict": "mixed", "reason": "both", "csrf_token": csrf_of(page.text)}
    assert ed.post(f"{study(pmid)}/resolve", data=form).status_code == 302
    card = ed.get(study(pmid)).text
    assert 'id="others-hidden"' not in card and "(ann)" in card and "(bob)" in card
    assert "mixed: 1" in claim_row(ed.get("/").text)
    assert ed.get(REPORT).status_code == 200
