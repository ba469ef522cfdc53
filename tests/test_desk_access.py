"""The review desk for everyone: axe-core (WCAG 2.1 A and AA: labels, names, contrast,
landmarks, headings, focusable controls) finds nothing on any page, and at 200 % zoom
(1280 x 900 shown at twice the size: 640 x 450 CSS pixels) the pages reflow without
sideways scrolling and every verdict button stays on screen. Debian's Chromium, as the
other browser tests; skipped with the reason when it is absent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from evidence.services.review import record_verdict
from evidence.store.db import Database
from tests.desk_browser import Desk, sign_in
from tests.desk_data import CLAIM, RETRACTED, SLUG, run
from tests.test_browser import CHROMIUM
from tests.test_desk_browser import QUEUE

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed: apt-get install chromium"
)
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
ZOOMED = {"width": 640, "height": 450}  # 1280 x 900 at 200 %


def violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page: rule, impact, offending elements."""
    from axe_playwright_python.sync_playwright import Axe

    found: dict[str, Any] = Axe().run(page, options=WCAG).response
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in found["violations"]
    ]


def pages(desk: Desk) -> list[str]:
    return [
        desk.base + "/",
        desk.base + QUEUE,
        desk.base + QUEUE + "?state=all&level=1",
        f"{desk.base}{QUEUE}studies/{RETRACTED}",
    ]


def test_axe_finds_no_wcag_violation_on_any_desk_page(browser: Browser, desk: Desk) -> None:
    context = browser.new_context()
    bad = context.new_page()  # axe really runs: a page without labels or alt text fails
    bad.set_content('<html lang="en"><title>t</title><main><input><img src="data:,"></main>')
    assert {v.split(" ")[0] for v in violations(bad)} >= {"label", "image-alt"}
    login = context.new_page()
    login.goto(desk.base + "/login")
    assert violations(login) == [], "login page"
    context.close()
    context, page, _ = sign_in(browser, desk, "ann")
    for url in pages(desk):
        page.goto(url)
        assert violations(page) == [], url
    page.keyboard.press("?")  # the shortcut list, open
    assert page.locator("#shortcuts dl").is_visible()
    assert violations(page) == [], "shortcut list"
    context.close()


def test_at_200_percent_zoom_pages_reflow_and_verdicts_stay_reachable(
    browser: Browser,
    desk: Desk,
) -> None:
    context, page, _ = sign_in(browser, desk, "ann")
    page.set_viewport_size(ZOOMED)  # type: ignore[arg-type]
    for url in pages(desk):
        page.goto(url)
        sideways = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert sideways <= 1, (url, sideways)
    buttons = page.locator("#verdict-form button.verdict-button")
    assert buttons.count() >= 5
    for n in range(buttons.count()):
        button = buttons.nth(n)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= ZOOMED["width"]
        assert button.get_attribute("aria-keyshortcuts")
    context.close()


def test_axe_finds_no_violation_where_blind_review_hides_verdicts(
    browser: Browser, desk: Desk
) -> None:
    """Home and the report as a blind reviewer sees them (without bob's verdict on a study
    ann has not judged) are as accessible, and bob's verdict is not on them."""
    done = run(desk.data.env, "claims", "set-review", CLAIM, "--blind")
    assert done.exit_code == 0, done.stderr
    with Database(desk.data.url, create=False).session(write=True) as session:
        record_verdict(session, CLAIM, RETRACTED, "supports", reviewer="bob", slug=SLUG)
    context, page, _ = sign_in(browser, desk, "ann")
    page.goto(desk.base + "/")
    assert violations(page) == [], "home, blind"
    shown = page.goto(f"{desk.base}/articles/{SLUG}/report")
    assert shown is not None and shown.status == 200
    assert "bob" not in page.content()
    assert violations(page) == [], "report, blind"
    context.close()
