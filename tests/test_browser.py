"""The report in a real browser: headless Chromium renders it without console errors, and
``evidence report --pdf`` prints it. Skipped, with the reason, when Chromium is absent
(.ci/run installs Debian's ``chromium``)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from evidence.cli.main import cli
from evidence.report.pdf import INSTALL_HINT, browser_command
from evidence.report.writer import write_report
from evidence.store.db import Database
from tests.test_report import seed
from tests.test_report_html import hostile_report

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed: apt-get install chromium"
)
NOISY_PAGE = (
    "<!DOCTYPE html><meta http-equiv='Content-Security-Policy' content=\"default-src 'none'\">"
    "<title>t</title><p>noisy</p><script>console.error('boom')</script>"
)


def screenshot(page: Path, shot: Path) -> list[str]:
    """Render ``page`` headless into ``shot``; the page's console lines from Chromium's log."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory(prefix="evidence-test-chromium-") as profile:
        command = browser_command(
            CHROMIUM,
            Path(profile),
            "--enable-logging=stderr",
            "--v=0",
            "--hide-scrollbars",
            "--window-size=1280,2000",
            f"--screenshot={shot}",
            page.resolve().as_uri(),
        )
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return [line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def colours(png: Path) -> int:
    from matplotlib.image import imread

    pixels = imread(png)
    return len({tuple(p) for p in pixels.reshape(-1, pixels.shape[-1])[::7]})


@needs_chromium
def test_console_lines_are_caught(tmp_path: Path) -> None:
    """The control: a page with a script blocked by its CSP shows up in the captured log."""
    page = tmp_path / "noisy.html"
    page.write_text(NOISY_PAGE, encoding="utf-8")
    lines = screenshot(page, tmp_path / "noisy.png")
    assert any("Content Security Policy" in line for line in lines), lines


@needs_chromium
def test_report_renders_without_console_errors(tmp_path: Path) -> None:
    files = write_report(hostile_report(), tmp_path / "report")
    shot = tmp_path / "shot.png"
    assert screenshot(files.html, shot) == []
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert colours(shot) > 20  # text, badges and chart colours, not a blank page


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


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
