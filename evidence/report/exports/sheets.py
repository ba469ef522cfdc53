"""Spreadsheet exports: CSV and XLSX, one row per claim -> study link, written row by row.

Text cells that a spreadsheet would run as a formula (``= + - @``, tab, CR) get a leading
``'`` (the guard of :mod:`evidence.report.tables`); years and levels stay numbers. XLSX is
written with openpyxl's write-only mode: rows go to the file as they come.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

from evidence.domain.views import ReportData
from evidence.report.exports.select import consensus
from evidence.report.studies import StudyReader
from evidence.report.tables import CSV_COLUMNS, Cell, guard_cell, link_row

EXPORT_COLUMNS = (*CSV_COLUMNS, "verdict")
SHEET_NAME = "studies"


def export_rows(data: ReportData, studies: StudyReader) -> Iterator[dict[str, Cell]]:
    """One guarded row per claim -> study link, with the reviewers' consensus verdict."""
    for claim in data.claims:
        for study in studies(claim):
            cells = {**link_row(claim, study), "verdict": consensus(study)}
            yield {name: guard_cell(value) for name, value in cells.items()}


def write_csv_export(data: ReportData, studies: StudyReader, out: IO[str]) -> None:
    """The links as CSV text (header row, RFC 4180 quoting, CRLF line ends)."""
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(export_rows(data, studies))


def write_xlsx(data: ReportData, studies: StudyReader, out: IO[bytes]) -> None:
    """The links as an XLSX workbook (one sheet, header row); empty cells for missing
    values."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_NAME)
    sheet.append(list(EXPORT_COLUMNS))
    for row in export_rows(data, studies):
        sheet.append([None if row[name] == "" else row[name] for name in EXPORT_COLUMNS])
    book.save(out)
