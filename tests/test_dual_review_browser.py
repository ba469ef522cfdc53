"""Blind dual review in a real browser (Debian's Chromium, Playwright, waitress): two
reviewers in two browser contexts judge the same study blind; the editor resolves their
disagreement on the conflicts page; the certainty shown is the resolution's. Skipped, with
the reason, when Chromium is absent."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.desk_browser import Desk, sign_in
from tests.desk_data import CLAIM, SLUG, run
from tests.test_browser import CHROMIUM
from tests.test_desk_browser import QUEUE, current_pmid, expect, press_and_wait, verdicts

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed: apt-get install chromium"
)
CONFLICTS = f"/articles/{SLUG}/conflicts"


def open_card(page: Page, desk: Desk, pmid: str) -> None:
    page.goto(f"{desk.base}{QUEUE}studies/{pmid}")
    assert current_pmid(page) == pmid


def conclusion(page: Page, desk: Desk) -> str:
    page.goto(desk.base + "/")
    return page.locator(f"tr[data-claim='{CLAIM}'] .conclusion").inner_text()


def test_blind_dual_review_conflict_and_resolution(browser: Browser, desk: Desk) -> None:
    done = run(desk.data.env, "claims", "set-review", CLAIM, "--reviewers", "2", "--blind")
    assert done.exit_code == 0, done.stderr
    ann_context, ann, ann_seen = sign_in(browser, desk, "Ann")
    bob_context, bob, bob_seen = sign_in(browser, desk, "Bob")

    ann.goto(desk.base + QUEUE)
    pmid = str(ann.locator("table.queue tbody tr").first.get_attribute("data-pmid"))
    open_card(ann, desk, pmid)
    press_and_wait(ann, "s")  # Ann: supports
    assert verdicts(desk.data.url)[-1][:3] == (pmid, "Ann", "supports")

    open_card(bob, desk, pmid)  # Bob has not judged: Ann's verdict is hidden from him
    expect(bob.locator("#others-hidden")).to_be_visible()
    assert "(Ann)" not in bob.locator("main").inner_text()
    bob.goto(desk.base + QUEUE)
    assert "(Ann)" not in bob.locator("main").inner_text()
    open_card(bob, desk, pmid)
    press_and_wait(bob, "c")  # Bob: contradicts
    open_card(bob, desk, pmid)
    expect(bob.locator("section.verdicts")).to_contain_text("supports (Ann)")

    before = conclusion(ann, desk)
    assert not before.startswith("Contradicted")  # the conflict counts as neither side
    eve_context, eve, eve_seen = sign_in(browser, desk, "Eve")  # local desk: every role
    eve.goto(desk.base + CONFLICTS)
    item = eve.locator(f"article.conflict[data-pmid='{pmid}']")
    expect(item).to_contain_text("supports (Ann)")
    expect(item).to_contain_text("contradicts (Bob)")
    item.locator("select[name='verdict']").select_option("contradicts")
    item.locator("input[name='reason']").fill("the primary outcome got worse")
    with eve.expect_navigation():
        item.locator("button[type='submit']").click()
    expect(eve.locator("#status")).to_contain_text(f"Resolved: contradicts on PMID {pmid}")
    expect(eve.locator("#no-conflicts")).to_be_visible()

    assert conclusion(eve, desk).startswith("Contradicted")  # the resolution counts
    status = run(desk.data.env, "status", "--json")
    assert '"conflicts": 0' in status.stdout and '"resolved": 1' in status.stdout
    for context, seen in (
        (ann_context, ann_seen),
        (bob_context, bob_seen),
        (eve_context, eve_seen),
    ):
        assert seen.quiet, seen
        context.close()
