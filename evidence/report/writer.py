"""Write a report folder (``index.html``, ``report.md``, ``studies.csv``,
``audit/search-runs.json``) or export JSON."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from evidence.domain.errors import ReportWriteError
from evidence.domain.views import ReportData
from evidence.report.audit import AUDIT_DIR, SEARCH_RUNS_NAME, render_search_runs
from evidence.report.html import render_html
from evidence.report.markdown import render_markdown
from evidence.report.tables import json_document, write_csv

HTML_NAME = "index.html"
MARKDOWN_NAME = "report.md"
CSV_NAME = "studies.csv"


class ReportFiles(NamedTuple):
    """The files written, in a fixed order (iterable: ``for path in files``)."""

    html: Path
    markdown: Path
    csv: Path
    audit: Path  # audit/search-runs.json


def write_report(data: ReportData, out_dir: Path) -> ReportFiles:
    """Render ``data`` into ``out_dir`` (created if needed); each file replaced atomically."""
    files = ReportFiles(
        out_dir / HTML_NAME,
        out_dir / MARKDOWN_NAME,
        out_dir / CSV_NAME,
        out_dir / AUDIT_DIR / SEARCH_RUNS_NAME,
    )
    try:
        files.audit.parent.mkdir(parents=True, exist_ok=True)
        _replace(files.html, lambda tmp: tmp.write_text(render_html(data), encoding="utf-8"))
        _replace(files.markdown, lambda tmp: tmp.write_text(render_markdown(data), "utf-8"))
        _replace(files.csv, lambda tmp: write_csv(data, tmp))
        _replace(files.audit, lambda tmp: tmp.write_text(render_search_runs(data), "utf-8"))
    except OSError as exc:
        raise ReportWriteError(f"cannot write the report to {out_dir}: {exc}") from exc
    return files


def export_json(data: ReportData) -> dict[str, Any]:
    """The claim -> study links with the study fields, JSON-serialisable, stable key order."""
    return json_document(data)


def _replace(path: Path, write: Callable[[Path], object]) -> None:
    """Write a temporary file next to ``path`` (umask permissions), then rename it over."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
