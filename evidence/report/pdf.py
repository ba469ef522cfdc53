"""``report.pdf`` for auditors: the HTML report printed by headless Chromium.

Chromium is an optional system dependency (Debian package ``chromium``); without it,
:func:`render_pdf` raises :class:`ChromiumMissingError` saying how to install it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from evidence.domain.errors import ChromiumMissingError, ReportWriteError

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT_SECONDS = 120.0
INSTALL_HINT = "PDF needs Chromium: install it with `apt-get install chromium` (Debian/Ubuntu)"
# Headless, offline, no profile left behind (the machine's network may be closed).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def find_browser() -> str | None:
    """The path of the first Chromium-like browser on ``PATH``, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def with_paper(html: str, paper: str) -> str:
    """The page with a CSS ``@page`` size (Chromium prints on the size the page asks for)."""
    size = PAPERS[paper]
    return html.replace(
        "</head>", f"<style>@page {{ size: {size}; margin: 12mm; }}</style></head>", 1
    )


def browser_command(browser: str, profile: Path, *extra: str) -> list[str]:
    """The command line running ``browser`` headless with a fresh ``profile`` folder."""
    return [browser, *FLAGS, f"--user-data-dir={profile}", *extra]


PAPERS = {"a4": "A4", "letter": "letter"}  # --paper choice -> CSS @page size


def render_pdf(
    html_path: Path, pdf_path: Path, *, paper: str = "a4", timeout: float = TIMEOUT_SECONDS
) -> Path:
    """Print ``html_path`` to ``pdf_path`` on ``paper`` with headless Chromium."""
    browser = find_browser()
    if browser is None:
        raise ChromiumMissingError(INSTALL_HINT)
    pdf_path = pdf_path.resolve()
    try:
        done = _print(browser, html_path.resolve(), pdf_path, paper, timeout)
    except subprocess.TimeoutExpired as exc:
        raise ReportWriteError(f"Chromium did not print the PDF within {timeout:g} s") from exc
    except OSError as exc:
        raise ReportWriteError(
            f"cannot print {pdf_path} with {browser}: {exc.strerror or exc}"
        ) from exc
    if done.returncode != 0 or not pdf_path.is_file():
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise ReportWriteError(
            f"Chromium could not print {pdf_path} (exit code {done.returncode}): {last[0]}"
        )
    return pdf_path


def _print(
    browser: str, html_path: Path, pdf_path: Path, paper: str, timeout: float
) -> subprocess.CompletedProcess[bytes]:
    """Run the browser with a throwaway profile folder (OSError when either fails)."""
    with tempfile.TemporaryDirectory(prefix="evidence-chromium-") as profile:
        printable = Path(profile) / "print.html"
        printable.write_text(with_paper(html_path.read_text(encoding="utf-8"), paper), "utf-8")
        command = browser_command(
            browser,
            Path(profile),
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf_path}",
            printable.as_uri(),
        )
        return subprocess.run(command, capture_output=True, timeout=timeout, check=False)
