"""The report in a real browser.

The bundled ketamine claims file is refreshed over the loopback E-utilities server, a
reviewer records verdicts, ``evidence report`` writes the page, and headless Chromium
(driven by Playwright) opens it: no console message, no script, no request beyond the file
itself, and the full-page screenshot shows the summary table and every claim's charts where
the page lays them out. ``evidence report --pdf`` is checked end to end. Skipped, with the
reason, when Chromium is absent (.ci/run installs Debian's ``chromium``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result
from PIL import Image

from evidence.cli.main import cli
from evidence.domain.claims import load_claims
from evidence.report.charts import VERDICT_COLOURS, category_colour
from evidence.report.pdf import INSTALL_HINT
from evidence.report.writer import write_report
from evidence.store.db import Database
from tests.claims_files import BUNDLED, plan_searches
from tests.test_report import seed
from tests.test_report_html import IMG, SCRIPT, hostile_report

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, FloatRect, Page, ViewportSize

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed: apt-get install chromium"
)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]  # + --headless
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
YEARS_BLUE = "#0b5cad"
CONCLUSION_BACKGROUNDS = {  # the report's CSS: green, red, amber, grey
    "supported": "#dafbe1",
    "contradicted": "#ffebe9",
    "mixed": "#fff8c5",
    "inconclusive": "#fff8c5",
    "not-judged": "#eef1f4",
    "no-studies": "#eef1f4",
    "never-searched": "#eef1f4",
    "search-failed": "#ffffff",
}


@dataclass
class Session:
    """What a page did while it loaded: console lines, uncaught errors, dialogs, requests."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def dismiss(self, dialog: Dialog) -> None:
        """A dialog (``alert`` and kin) would mean a script ran: note it, close it."""
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, through Playwright (no browser download)."""
    if CHROMIUM is None:
        pytest.skip("Chromium not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        launched.close()


def open_page(browser: Browser, page_file: Path) -> tuple[Page, Session]:
    """Load ``page_file`` in a fresh page, recording what it does."""
    page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
    seen = Session()
    page.on("console", lambda m: seen.console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.on("dialog", seen.dismiss)
    page.on("request", lambda r: seen.requests.append(r.url))
    page.goto(page_file.resolve().as_uri(), wait_until="load")
    return page, seen


def colours_in(shot: Image.Image, box: FloatRect | None) -> set[str]:
    """The colours of the screenshot's pixels inside an element's bounding box."""
    assert box is not None, "the element has no box: not rendered"
    left, top = round(box["x"]), round(box["y"])
    region = shot.crop((left, top, left + round(box["width"]), top + round(box["height"])))
    counted = region.convert("RGB").getcolors(1 << 20) or []
    return {"#{:02x}{:02x}{:02x}".format(*rgb) for _, rgb in counted}


def run(env: Mapping[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=dict(env), catch_exceptions=False)


@pytest.fixture
def ketamine_report(
    tmp_path: Path,
    fixture_records: dict[str, bytes],
    eutils_server_factory: Callable[..., Any],
) -> tuple[Path, dict[str, str]]:
    """The bundled claims refreshed over loopback, one verdict per claim, the report written.

    Returns the report folder and, per claim, the verdict recorded on its first study.
    """
    claims = load_claims(BUNDLED)
    server = eutils_server_factory(fixture_records, plan_searches(claims, list(fixture_records), 4))
    env = {
        "EVIDENCE_EUTILS_URL": server.url,
        "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'evidence.db'}",
        "EVIDENCE_REVIEWER": "ann",
    }
    refreshed = run(env, "refresh", str(BUNDLED))
    assert refreshed.exit_code == 0, refreshed.stderr
    exported = json.loads(run(env, "export", "--format", "json").stdout)
    verdicts = {}
    for claim, verdict in zip(exported["claims"], ["supports", "contradicts"] * 9, strict=False):
        pmid = claim["studies"][0]["pmid"]
        done = run(env, "review", "set", claim["id"], pmid, "--verdict", verdict)
        assert done.exit_code == 0, done.stderr
        verdicts[claim["id"]] = verdict
    out = tmp_path / "report"
    written = run(env, "report", "--out", str(out))
    assert written.exit_code == 0, written.stderr
    return out, verdicts


def env_of(report: Path) -> dict[str, str]:
    """The environment of the ketamine report's database (next to the report folder)."""
    return {"EVIDENCE_DATABASE_URL": f"sqlite:///{report.parent / 'evidence.db'}"}


@needs_chromium
def test_the_recorder_catches_console_errors_and_dialogs(browser: Browser, tmp_path: Path) -> None:
    """The control: what the report test expects to be empty is seen when it happens."""
    blocked = tmp_path / "blocked.html"
    blocked.write_text(
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'\">"
        "<p>x</p><script>alert('blocked')</script>",
        encoding="utf-8",
    )
    _, seen = open_page(browser, blocked)
    assert any("Content Security Policy" in line for line in seen.console), seen
    assert seen.dialogs == []
    loud = tmp_path / "loud.html"
    loud.write_text(
        "<p>x</p><img src='https://example.invalid/x.png'>"
        "<script>console.error('boom'); alert('ran'); missing()</script>",
        encoding="utf-8",
    )
    _, seen = open_page(browser, loud)
    assert "error: boom" in seen.console
    assert seen.dialogs == ["ran"]
    assert any("missing" in error for error in seen.errors)
    assert "https://example.invalid/x.png" in seen.requests


@needs_chromium
def test_ketamine_report_shows_summary_table_and_charts(
    browser: Browser, ketamine_report: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    out, verdicts = ketamine_report
    page_file = out / "index.html"
    page, seen = open_page(browser, page_file)
    assert (seen.console, seen.errors, seen.dialogs) == ([], [], [])
    assert seen.requests == [page_file.resolve().as_uri()]  # offline: nothing else fetched

    shot_file = tmp_path / "report.png"
    page.screenshot(path=str(shot_file), full_page=True)
    shot = Image.open(shot_file)
    assert shot.width == VIEWPORT["width"] and shot.height > VIEWPORT["height"]

    claim_ids = [c.id for c in load_claims(BUNDLED).claims]
    summary = page.locator("#summary table")
    box = summary.bounding_box()
    assert box is not None and box["y"] + box["height"] < VIEWPORT["height"]  # first screen
    assert box["width"] > 600 and box["height"] > 40 * len(claim_ids)
    rows = summary.locator("tbody tr")
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.claim)") == claim_ids
    assert len(colours_in(shot, box)) > 20  # text, header shading, badges: not a blank box
    status = json.loads(run(env_of(out), "status", "--json").stdout)["claims"]
    expected = {c["claim"]: c for c in status}
    for claim_id in claim_ids:  # the conclusion, in the colour of the conclusion
        badge = summary.locator(f"tr[data-claim='{claim_id}'] span.conclusion")
        assert badge.inner_text() == expected[claim_id]["conclusion_label"], claim_id
        kind = expected[claim_id]["conclusion"]
        background = CONCLUSION_BACKGROUNDS[kind]
        assert background in colours_in(shot, badge.bounding_box()), (claim_id, kind)

    for claim_id in claim_ids:
        section = page.locator(f"#claim-{claim_id}")
        evidence = section.locator("figure.chart-evidence svg")
        years = section.locator("figure.chart-years svg")
        assert evidence.is_visible() and years.is_visible(), claim_id
        chart_boxes = [evidence.bounding_box(), years.bounding_box()]
        for chart_box in chart_boxes:
            assert chart_box is not None and chart_box["width"] > 250
            assert chart_box["height"] > 60
        evidence_colours = colours_in(shot, chart_boxes[0])
        assert VERDICT_COLOURS[verdicts[claim_id]] in evidence_colours, claim_id  # reviewer
        assert YEARS_BLUE in colours_in(shot, chart_boxes[1]), claim_id
        n_studies = section.locator("tr.study").count()
        if n_studies > 1:  # the others are not reviewed: a pale machine-suggestion shade
            machine = {category_colour(f"{s} (machine)") for s in VERDICT_COLOURS}
            pale = machine | {VERDICT_COLOURS["not reviewed"]}
            assert evidence_colours & pale, claim_id


@needs_chromium
def test_hostile_text_runs_nothing_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    files = write_report(hostile_report(), tmp_path / "report")
    page, seen = open_page(browser, files.html)
    assert (seen.console, seen.errors, seen.dialogs) == ([], [], [])
    assert seen.requests == [files.html.resolve().as_uri()]
    assert page.locator("script, img, iframe, object, embed").count() == 0
    row = page.locator("section#claim-nmda tr[data-pmid='201']").inner_text()
    assert SCRIPT in row and IMG in row  # the words stay visible


@pytest.fixture
def db_env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'evidence.db'}"
    with Database(url).session() as session:
        seed(session)
    return {"EVIDENCE_DATABASE_URL": url}


@needs_chromium
def test_report_pdf_end_to_end(tmp_path: Path, db_env: dict[str, str]) -> None:
    out = tmp_path / "out"
    result = run(db_env, "report", "--out", str(out), "--pdf")
    assert result.exit_code == 0, result.stderr
    pdf = out / "report.pdf"
    assert str(pdf.resolve()) in result.stdout.splitlines()
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    assert page_size(pdf) == (595, 842)  # A4 by default, in points
    letter = run(db_env, "report", "--out", str(out), "--pdf", "--paper", "letter")
    assert letter.exit_code == 0 and page_size(pdf) == (612, 792)


def page_size(pdf: Path) -> tuple[int, int]:
    """The first page's MediaBox width and height in points, rounded."""
    import re

    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", pdf.read_bytes())
    assert box, "no MediaBox in the PDF"
    return round(float(box.group(1))), round(float(box.group(2)))


def test_report_pdf_without_chromium_says_how_to_install(
    tmp_path: Path, db_env: dict[str, str]
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run(db_env | {"PATH": str(empty)}, "report", "--out", str(tmp_path / "o"), "--pdf")
    assert result.exit_code == 1
    assert INSTALL_HINT in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "o" / "index.html").is_file()  # the HTML is still written
