"""``evidence export``: the claim -> study links in one of several formats.

``filter_report`` narrows a report; ``export_document`` renders it; ``write_export`` saves
it. Spreadsheets (CSV, XLSX) hold one row per link; reference formats (RIS, BibTeX,
CSL-JSON) hold each study once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from evidence.domain.errors import ConfigError
from evidence.domain.views import ReportData
from evidence.report.exports.references import to_bibtex, to_csl_json, to_ris
from evidence.report.exports.select import (
    NOT_REVIEWED,
    VERDICT_FILTERS,
    consensus,
    filter_report,
)
from evidence.report.exports.sheets import to_csv, to_xlsx
from evidence.report.files import write_atomically
from evidence.report.tables import json_document

__all__ = [
    "FORMATS",
    "NOT_REVIEWED",
    "VERDICT_FILTERS",
    "Export",
    "consensus",
    "export_document",
    "filter_report",
    "to_bibtex",
    "to_csl_json",
    "to_csv",
    "to_json",
    "to_ris",
    "to_xlsx",
    "write_export",
]


class Export(NamedTuple):
    """A rendered export: text for the text formats, bytes for XLSX."""

    content: str | bytes
    binary: bool


def to_json(data: ReportData) -> str:
    """The JSON document of :func:`evidence.report.tables.json_document`, indented."""
    return json.dumps(json_document(data), indent=2, ensure_ascii=False, default=str) + "\n"


_RENDERERS: dict[str, Callable[[ReportData], str | bytes]] = {
    "json": to_json,
    "csv": to_csv,
    "xlsx": to_xlsx,
    "ris": to_ris,
    "bibtex": to_bibtex,
    "csl-json": to_csl_json,
}
FORMATS = tuple(_RENDERERS)
BINARY_FORMATS = frozenset({"xlsx"})


def export_document(data: ReportData, fmt: str, out: Path | None = None) -> Export:
    """Render ``data`` as ``fmt``; a binary format needs a file (``out``), never stdout."""
    if fmt not in _RENDERERS:
        raise ConfigError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    if fmt in BINARY_FORMATS and out is None:
        raise ConfigError(f"--format {fmt} is binary: give a file with --out")
    return Export(_RENDERERS[fmt](data), fmt in BINARY_FORMATS)


def write_export(export: Export, path: Path) -> None:
    """Write the export to ``path`` (in an existing folder) through a temporary file."""
    content = export.content
    if isinstance(content, bytes):
        write_atomically(path, lambda tmp: tmp.write_bytes(content), "the export")
    else:
        write_atomically(
            path, lambda tmp: tmp.write_text(content, encoding="utf-8", newline=""), "the export"
        )
