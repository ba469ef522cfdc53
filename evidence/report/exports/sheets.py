"""Spreadsheet exports: CSV and XLSX, one row per claim -> study link.

Text cells that a spreadsheet would run as a formula (``= + - @``, tab, CR) get a leading
``'`` (the guard of :mod:`evidence.report.tables`); years and levels stay numbers.
"""

from __future__ import annotations

import csv
import io

from evidence.domain.views import ReportData
from evidence.report.exports.select import consensus
from evidence.report.tables import CSV_COLUMNS, Cell, guard_cell, link_row

EXPORT_COLUMNS = (*CSV_COLUMNS, "verdict")
SHEET_NAME = "studies"


def export_rows(data: ReportData) -> list[dict[str, Cell]]:
    """One guarded row per claim -> study link, with the reviewers' consensus verdict."""
    return [
        {
            name: guard_cell(value)
            for name, value in {**link_row(claim, study), "verdict": consensus(study)}.items()
        }
        for claim in data.claims
        for study in claim.studies
    ]


def to_csv(data: ReportData) -> str:
    """The links as CSV text (header row, RFC 4180 quoting, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(export_rows(data))
    return buffer.getvalue()


def to_xlsx(data: ReportData) -> bytes:
    """The links as an XLSX workbook (one sheet); empty cells for missing values."""
    import pandas as pd

    frame = pd.DataFrame(export_rows(data), columns=list(EXPORT_COLUMNS), dtype=object)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as excel:
        frame.to_excel(excel, sheet_name=SHEET_NAME, index=False)
    return buffer.getvalue()
