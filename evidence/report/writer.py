"""Write a report folder (``index.html``, ``report.md``, ``studies.csv``,
``audit/search-runs.json``) or export JSON."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from evidence.domain.views import ReportData
from evidence.report.audit import AUDIT_DIR, SEARCH_RUNS_NAME, render_search_runs
from evidence.report.files import make_folder, write_atomically
from evidence.report.html import render_html
from evidence.report.markdown import render_markdown
from evidence.report.studies import STUDIES_SHOWN, StudyReader, in_memory, shown_studies
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


def write_report(
    data: ReportData,
    out_dir: Path,
    studies: StudyReader = in_memory,
    *,
    shown: int | None = STUDIES_SHOWN,
) -> ReportFiles:
    """Render ``data`` into ``out_dir`` (created if needed); each file replaced atomically.

    The HTML and Markdown pages list each claim's strongest ``shown`` studies (all with
    None) and say so; studies.csv has every study, read through ``studies`` as written.
    """
    files = ReportFiles(
        out_dir / HTML_NAME,
        out_dir / MARKDOWN_NAME,
        out_dir / CSV_NAME,
        out_dir / AUDIT_DIR / SEARCH_RUNS_NAME,
    )
    make_folder(out_dir, "the report folder")
    make_folder(files.audit.parent, "the report's audit folder")
    listed = shown_studies(data, studies, shown)
    write = partial(write_atomically, what="the report file")
    write(files.html, lambda tmp: tmp.write_text(render_html(data, listed), encoding="utf-8"))
    write(files.markdown, lambda tmp: tmp.write_text(render_markdown(data, listed), "utf-8"))
    write(files.csv, lambda tmp: write_csv(data, tmp, studies))
    write(files.audit, lambda tmp: tmp.write_text(render_search_runs(data), "utf-8"))
    return files


def export_json(data: ReportData) -> dict[str, Any]:
    """The claim -> study links with the study fields, JSON-serialisable, stable key order."""
    return json_document(data)
