"""Dual review on the desk (Flask's test client): blindness from the claim's protocol, the
conflicts page, who may resolve, and agreement on the home page."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from evidence.services import accounts
from evidence.store.db import Database
from evidence.store.models import Verdict
from tests.desk_data import CLAIM, SLUG, DeskData, csrf_of, run
from tests.test_desk import app, judge, login, study  # noqa: F401  (fixtures and helpers)

CONFLICTS = f"/articles/{SLUG}/conflicts"
PASSWORD = "a long enough password"


def first_pmid(client: FlaskClient) -> str:
    page = client.get(f"/articles/{SLUG}/claims/{CLAIM}/").text
    marker = 'data-pmid="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def blind_dual(desk_db: DeskData) -> None:
    done = run(desk_db.env, "claims", "set-review", CLAIM, "--reviewers", "2", "--blind")
    assert done.exit_code == 0, done.stderr


def account_login(desk: Flask, url: str, name: str, role: str) -> FlaskClient:
    """A browser signed in with a new account of ``role`` (the desk is then in team mode)."""
    with Database(url, create=False).session(write=True) as session:
        accounts.add_account(session, name, role, PASSWORD)
    client = desk.test_client()
    token = csrf_of(client.get("/login").text)
    signed = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 303, signed.text
    return client


def resolution_rows(url: str) -> list[tuple[str, str, str, str | None]]:
    with Database(url, create=False).session() as session:
        rows = session.execute(
            select(Verdict.pmid, Verdict.reviewer, Verdict.verdict, Verdict.reason).where(
                Verdict.kind == "resolution"
            )
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]


def test_the_claims_blind_setting_hides_the_others_until_you_judge(
    app: Flask,  # noqa: F811
    desk_db: DeskData,
) -> None:
    blind_dual(desk_db)  # the server's own flag stays off: the claim asks for it
    ann, bob = login(app, "ann"), login(app, "bob")
    pmid = first_pmid(ann)
    assert judge(ann, pmid, "supports").status_code == 302
    card = bob.get(study(pmid)).text
    assert 'id="others-hidden"' in card and "(ann)" not in card
    queue = bob.get(f"/articles/{SLUG}/claims/{CLAIM}/").text
    assert "(ann)" not in queue
    assert f'data-pmid="{pmid}"' in queue  # still to do: two verdicts needed, none is bob's
    assert f'data-pmid="{pmid}"' not in ann.get(f"/articles/{SLUG}/claims/{CLAIM}/").text
    assert judge(bob, pmid, "contradicts").status_code == 302
    assert f'data-pmid="{pmid}"' not in bob.get(f"/articles/{SLUG}/claims/{CLAIM}/").text
    card = bob.get(study(pmid)).text
    assert 'id="others-hidden"' not in card and "ann" in card


def test_conflicts_page_and_resolve_form_for_editors_only(
    app: Flask,  # noqa: F811
    desk_db: DeskData,
) -> None:
    blind_dual(desk_db)
    ann, bob = login(app, "ann"), login(app, "bob")
    pmid = first_pmid(ann)
    judge(ann, pmid, "supports")
    assert "No conflicts to resolve" in ann.get(CONFLICTS).text  # one verdict of two
    judge(bob, pmid, "contradicts")

    eve = account_login(app, desk_db.url, "eve", "reviewer")
    page = eve.get(CONFLICTS)
    assert page.status_code == 200  # blind: eve has not judged it, so it is not listed
    assert f'data-pmid="{pmid}"' not in page.text and "(ann)" not in page.text
    judge(eve, pmid, "mixed")
    page = eve.get(CONFLICTS)
    assert f'data-pmid="{pmid}"' in page.text
    assert (
        "An editor resolves this conflict" in page.text
        and '<form method="post" action="/articles' not in page.text
    )
    action = f"/articles/{SLUG}/claims/{CLAIM}/studies/{pmid}/resolve"
    form = {"verdict": "contradicts", "reason": "primary outcome", "csrf_token": csrf_of(page.text)}
    refused = eve.post(action, data=form)
    assert refused.status_code == 403 and resolution_rows(desk_db.url) == []

    eve = account_login(app, desk_db.url, "ed", "editor")
    page = eve.get(CONFLICTS)
    assert eve.post(action, data={**form, "csrf_token": ""}).status_code == 403  # CSRF
    assert (
        eve.post(action, data={**form, "reason": " ", "csrf_token": csrf_of(page.text)}).status_code
        == 400
    )
    done = eve.post(action, data={**form, "csrf_token": csrf_of(page.text)})
    assert done.status_code == 302
    assert resolution_rows(desk_db.url) == [(pmid, "ed", "contradicts", "primary outcome")]
    assert "No conflicts to resolve" in eve.get(CONFLICTS).text
    home = eve.get("/").text
    assert "contradicts: 1" in home and "disputed" not in home


def test_local_token_mode_may_resolve_and_home_shows_agreement(
    app: Flask,  # noqa: F811
    desk_db: DeskData,
) -> None:
    ann, bob = login(app, "ann"), login(app, "bob")
    pmid = first_pmid(ann)
    judge(ann, pmid, "supports")
    judge(bob, pmid, "contradicts")
    home = ann.get("/").text
    assert "Cohen&#39;s kappa" in home and "1 study" in home
    assert f'href="{CONFLICTS}"' in home and "1 conflict" in home
    page = ann.get(CONFLICTS)  # no account: every role (the local desk)
    form = {"verdict": "mixed", "reason": "both", "csrf_token": csrf_of(page.text)}
    action = f"/articles/{SLUG}/claims/{CLAIM}/studies/{pmid}/resolve"
    assert ann.post(action, data=form).status_code == 302


def test_a_reviewer_s_home_report_and_conflicts_keep_a_blind_claim_blind(
    app: Flask,  # noqa: F811
    desk_db: DeskData,
) -> None:
    blind_dual(desk_db)
    team = {"ann": "reviewer", "bob": "reviewer", "cy": "reviewer", "ed": "editor"}
    ann, bob, cy, ed = (account_login(app, desk_db.url, n, r) for n, r in team.items())
    pmid = first_pmid(ann)
    assert judge(ann, pmid, "supports").status_code == 302
    report = f"/articles/{SLUG}/report"
    assert "(ann)" in ann.get(report).text and "supports: 1" in ann.get("/").text
    assert "(ann)" not in bob.get(report).text  # bob has not judged: blind
    assert "supports: 1" not in bob.get("/").text
    assert "(ann)" not in ed.get(report).text  # an editor is blind there too, as a reviewer
    assert "supports: 1" not in ed.get("/").text

    assert judge(bob, pmid, "contradicts").status_code == 302
    assert "(ann)" in bob.get(report).text
    assert "disputed: 1" in bob.get("/").text and "1 unresolved conflict" in bob.get("/").text
    for judged in (ann, bob, ed):
        assert f'data-pmid="{pmid}"' in judged.get(CONFLICTS).text
    page = cy.get(CONFLICTS).text  # cy has not judged it: neither the conflict nor verdicts
    assert f'data-pmid="{pmid}"' not in page and "(ann)" not in page
    assert "1 unresolved conflict" not in cy.get("/").text
    assert "(ann)" not in cy.get(report).text and "(bob)" not in cy.get(report).text
