"""The review desk in a real browser, shared by the browser tests: Debian's Chromium
(Playwright, no download) and waitress serving the desk on a free loopback port; a reviewer
signs in with the one-time URL and types a name."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from evidence.web.app import create_app, issue_login_url
from tests.desk_data import DeskData, context_for
from tests.test_browser import CHROMIUM, FLAGS, VIEWPORT

if TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Browser, BrowserContext, Dialog, Page


@dataclass
class Desk:
    """A desk served by waitress on 127.0.0.1, and the app behind it."""

    app: Flask
    base: str
    data: DeskData

    def login_url(self) -> str:
        return issue_login_url(self.app, self.base)


@dataclass
class Seen:
    """What pages did: console lines, uncaught errors, dialogs."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def dismiss(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @property
    def quiet(self) -> bool:
        return not (self.console or self.errors or self.dialogs)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        launched.close()


@contextmanager
def serving(data: DeskData) -> Iterator[Desk]:
    """waitress serving the desk over ``data``'s database on a free loopback port, in a
    thread, while the block runs."""
    import waitress

    app = create_app(context_for(data.url))
    server: Any = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Desk(app, f"http://127.0.0.1:{server.effective_port}", data)
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture
def desk(desk_db: DeskData) -> Iterator[Desk]:
    """The desk served over a copy of the refreshed desk database."""
    with serving(desk_db) as served:
        yield served


def watched_page(browser: Browser) -> tuple[BrowserContext, Page, Seen]:
    """A fresh browser context and page whose console lines, errors and dialogs are kept."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    seen = Seen()
    page.on("console", lambda m: seen.console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.on("dialog", seen.dismiss)
    return context, page, seen


def sign_in(browser: Browser, desk: Desk, name: str) -> tuple[BrowserContext, Page, Seen]:
    """A fresh browser context that opened a login link and typed its name (keyboard)."""
    context, page, seen = watched_page(browser)
    page.goto(desk.login_url())
    from playwright.sync_api import expect

    expect(page.locator("#name")).to_be_focused()  # autofocus lands after load: wait for it
    page.keyboard.type(name)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    who = page.locator(".who strong")
    if who.count() == 0:  # say what the browser shows instead of a bare timeout
        body = page.locator("body").inner_text()[:500]
        pytest.fail(f"not signed in as {name!r}: {page.url} shows {body!r}; seen {seen}")
    assert who.inner_text() == name
    return context, page, seen
