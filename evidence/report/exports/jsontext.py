"""JSON written piece by piece, laid out exactly as ``json.dumps(..., indent=2)`` would.

Lists of studies are streamed: each item is dumped on its own and indented to its depth,
so the whole document is never built in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from evidence.domain.views import ReportData
from evidence.report.studies import StudyReader
from evidence.report.tables import json_claim, json_header, json_study

INDENT = "  "
_HOLE = "\x00evidence-stream\x00"  # a value no document holds: where a streamed list goes


def dumps(value: Any, level: int = 0) -> str:
    """``value`` as indented JSON, its lines after the first indented ``level`` steps more."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return text.replace("\n", "\n" + INDENT * level)


def array(items: Iterable[Iterable[str]], level: int) -> Iterator[str]:
    """A JSON list at depth ``level`` whose items come as pieces of text (each one already
    laid out for depth ``level + 1``)."""
    empty = True
    for item in items:
        yield ("[\n" if empty else ",\n") + INDENT * (level + 1)
        yield from item
        empty = False
    yield "[]" if empty else "\n" + INDENT * level + "]"


def with_last(fields: dict[str, Any], key: str, value: Iterable[str], level: int) -> Iterator[str]:
    """The object ``fields`` plus a last key ``key`` whose value comes as pieces of text."""
    head, hole, tail = dumps({**fields, key: _HOLE}, level).rpartition(json.dumps(_HOLE))
    if not hole:
        raise ValueError(f"{key!r} must be a new key of the object")
    yield head
    yield from value
    yield tail


def json_pieces(data: ReportData, studies: StudyReader) -> Iterator[str]:
    """The JSON export (:func:`evidence.report.tables.json_document`) in pieces."""
    rules = data.rules_version
    claims = (
        with_last(
            json_claim(claim),
            "studies",
            array(([dumps(json_study(s, rules), 4)] for s in studies(claim)), 3),
            2,
        )
        for claim in data.claims
    )
    yield from with_last(json_header(data), "claims", array(claims, 1), 0)
    yield "\n"


def write_json(data: ReportData, studies: StudyReader, out: IO[str]) -> None:
    """Write the JSON export to ``out`` as it is read."""
    for piece in json_pieces(data, studies):
        out.write(piece)
