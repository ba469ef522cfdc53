"""Team mode end to end in a real browser, on SQLite and PostgreSQL: two reviewers with
accounts sign in with their passwords in their own browser contexts and judge the same
study blind; they disagree; the editor (an account too) resolves the conflict on the
conflicts page; every row carries the signed-in account; the certainty counts the
resolution, and the agreement (Cohen's kappa) appears in ``status`` and in the report.
Debian's Chromium; skipped with the reason when it is absent (PostgreSQL: when
``EVIDENCE_TEST_POSTGRES_URL`` is unset)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from evidence.services import accounts
from evidence.store.db import Database
from tests.claims_files import BUNDLED
from tests.desk_browser import Desk, Seen, serving, watched_page
from tests.desk_data import CLAIM, SLUG, DeskData, run
from tests.test_browser import CHROMIUM
from tests.test_desk_browser import QUEUE, current_pmid, expect, press_and_wait, verdicts

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed: apt-get install chromium"
)
PASSWORD = "correct horse battery staple"
TEAM = {"ann": "reviewer", "bob": "reviewer", "ed": "editor"}


@pytest.fixture(params=["sqlite", "postgresql"])
def team_desk(request: pytest.FixtureRequest, desk_db: DeskData) -> Iterator[Desk]:
    """The refreshed desk data (a SQLite copy, or refreshed into a fresh PostgreSQL
    database), the team's accounts, and waitress serving it on a free loopback port."""
    data = desk_db
    if request.param == "postgresql":
        url = str(request.getfixturevalue("postgres_url"))
        data = DeskData(url, desk_db.server, {**desk_db.env, "EVIDENCE_DATABASE_URL": url})
        done = run(data.env, "refresh", str(BUNDLED))
        assert done.exit_code == 0, done.stderr
    with Database(data.url, create=False).session(write=True) as session:
        for name, role in TEAM.items():
            accounts.add_account(session, name, role, PASSWORD)
    with serving(data) as served:
        yield served


def sign_in(browser: Browser, desk: Desk, name: str) -> tuple[BrowserContext, Page, Seen]:
    """A browser context that signed in with ``name`` and the password."""
    context, page, seen = watched_page(browser)
    page.goto(desk.base + "/login")  # team mode: name and password
    page.locator("#login-name").fill(name)
    page.locator("#login-password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#login-password").press("Enter")
    assert page.locator(".who strong").inner_text() == name
    return context, page, seen


def test_two_accounts_judge_blind_and_an_editor_resolves(
    browser: Browser, team_desk: Desk, tmp_path: Path
) -> None:
    desk = team_desk
    env = desk.data.env
    done = run(env, "claims", "set-review", CLAIM, "--reviewers", "2", "--blind")
    assert done.exit_code == 0, done.stderr
    (ann_context, ann, ann_seen), (bob_context, bob, bob_seen) = (
        sign_in(browser, desk, "ann"),
        sign_in(browser, desk, "bob"),
    )
    ann.goto(desk.base + QUEUE)
    pmid = str(ann.locator("table.queue tbody tr").first.get_attribute("data-pmid"))
    ann.goto(f"{desk.base}{QUEUE}studies/{pmid}")
    press_and_wait(ann, "s")

    bob.goto(f"{desk.base}{QUEUE}studies/{pmid}")
    assert current_pmid(bob) == pmid
    expect(bob.locator("#others-hidden")).to_be_visible()  # blind: ann's verdict hidden
    assert "(ann)" not in bob.locator("main").inner_text()
    press_and_wait(bob, "c")
    assert [v[:3] for v in verdicts(desk.data.url)] == [
        (pmid, "ann", "supports"),
        (pmid, "bob", "contradicts"),
    ]

    bob.goto(desk.base + f"/articles/{SLUG}/conflicts")  # a reviewer sees, cannot resolve
    assert bob.locator(f"article.conflict[data-pmid='{pmid}'] form").count() == 0
    ed_context, ed, ed_seen = sign_in(browser, desk, "ed")
    ed.goto(desk.base + f"/articles/{SLUG}/conflicts")
    item = ed.locator(f"article.conflict[data-pmid='{pmid}']")
    expect(item).to_contain_text("supports (ann)")
    expect(item).to_contain_text("contradicts (bob)")
    item.locator("select[name='verdict']").select_option("contradicts")
    item.locator("input[name='reason']").fill("the primary outcome got worse")
    with ed.expect_navigation():
        item.locator("button[type='submit']").click()
    expect(ed.locator("#no-conflicts")).to_be_visible()
    assert verdicts(desk.data.url)[-1][:3] == (pmid, "ed", "contradicts")

    status = json.loads(run(env, "status", "--json").stdout)
    claim = next(c for c in status["claims"] if c["claim"] == CLAIM)
    assert claim["agreement"]["method"] == "cohen" and claim["agreement"]["studies"] == 1
    assert '"conflicts": 0' in json.dumps(claim) and '"resolved": 1' in json.dumps(claim)
    out = tmp_path / "report"
    assert run(env, "report", "--out", str(out)).exit_code == 0
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'id="agreement"' in html and "Cohen&#39;s kappa" in html
    for context, seen in ((ann_context, ann_seen), (bob_context, bob_seen), (ed_context, ed_seen)):
        assert seen.quiet, seen
        context.close()
