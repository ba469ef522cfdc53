"""``evidence export``: the claim -> study links in one of several formats.

``filter_report`` narrows a report; ``write_export`` writes it to a file (atomically) and
``stream_export`` to an open stream, study by study as a :data:`StudyReader` gives them,
so an export never holds every study in memory. Spreadsheets (CSV, XLSX) hold one row per
link; reference formats (RIS, BibTeX, CSL-JSON) hold each study once.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from evidence.domain.errors import ConfigError
from evidence.domain.views import ReportData
from evidence.report.exports.jsontext import write_json
from evidence.report.exports.references import write_bibtex, write_csl_json, write_ris
from evidence.report.exports.select import (
    NOT_REVIEWED,
    VERDICT_FILTERS,
    consensus,
    filter_report,
)
from evidence.report.exports.sheets import write_csv_export, write_xlsx
from evidence.report.files import write_atomically
from evidence.report.studies import StudyReader, in_memory

__all__ = [
    "FORMATS",
    "NOT_REVIEWED",
    "VERDICT_FILTERS",
    "check_format",
    "consensus",
    "filter_report",
    "render",
    "stream_export",
    "write_export",
]

Writer = Callable[[ReportData, StudyReader, IO[Any]], None]

_RENDERERS: dict[str, Writer] = {
    "json": write_json,
    "csv": write_csv_export,
    "xlsx": write_xlsx,
    "ris": write_ris,
    "bibtex": write_bibtex,
    "csl-json": write_csl_json,
}
FORMATS = tuple(_RENDERERS)
BINARY_FORMATS = frozenset({"xlsx"})


def check_format(fmt: str, out: Path | None) -> None:
    """ConfigError for an unknown format, or a binary one without a file (``out``)."""
    if fmt not in _RENDERERS:
        raise ConfigError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    if fmt in BINARY_FORMATS and out is None:
        raise ConfigError(f"--format {fmt} is binary: give a file with --out")


def stream_export(data: ReportData, fmt: str, studies: StudyReader, out: IO[str]) -> None:
    """Write a text format to ``out`` (stdout) as the studies are read."""
    check_format(fmt, None)
    _RENDERERS[fmt](data, studies, out)


def write_export(data: ReportData, fmt: str, studies: StudyReader, path: Path) -> None:
    """Write ``fmt`` to ``path`` (in an existing folder) through a temporary file."""
    check_format(fmt, path)
    writer = _RENDERERS[fmt]

    def write(tmp: Path) -> None:
        if fmt in BINARY_FORMATS:
            with tmp.open("wb") as binary:
                writer(data, studies, binary)
        else:
            with tmp.open("w", encoding="utf-8", newline="") as text:
                writer(data, studies, text)

    write_atomically(path, write, "the export")


def render(data: ReportData, fmt: str, studies: StudyReader = in_memory) -> str | bytes:
    """The whole export in memory (bytes for XLSX): for small reports and tests."""
    check_format(fmt, Path(fmt))
    if fmt in BINARY_FORMATS:
        binary = io.BytesIO()
        _RENDERERS[fmt](data, studies, binary)
        return binary.getvalue()
    text = io.StringIO(newline="")
    _RENDERERS[fmt](data, studies, text)
    return text.getvalue()
