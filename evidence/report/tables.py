"""Plain rows shared by every output: cell formats, ``studies.csv`` rows, the JSON export."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from evidence.domain.audit import as_utc
from evidence.domain.views import ClaimReport, QueryInfo, ReportData, StudyInfo
from evidence.report.links import doi_url, pubmed_url
from evidence.report.studies import StudyReader, in_memory

JSON_FORMAT_VERSION = 1
AUTHORS_SHOWN = 6
CSV_COLUMNS = (
    "claim_id",
    "pmid",
    "title",
    "authors",
    "journal",
    "year",
    "doi",
    "pmc",
    "publication_types",
    "evidence_level",
    "design",
    "provisional",
    "flags",
    "retracted",
    "pubmed_url",
    "claim_conclusion",
    "flag_sources",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | bool | None


def format_time(moment: datetime | None) -> str:
    """``2026-11-24 14:03:07 UTC``: to the second, in UTC; an empty string for no time."""
    return as_utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC") if moment is not None else ""


def short_authors(authors: Sequence[str], limit: int = AUTHORS_SHOWN) -> str:
    """The first ``limit`` authors, then ``et al.``."""
    shown = ", ".join(authors[:limit])
    return f"{shown}, et al." if len(authors) > limit else shown


# --- studies.csv -----------------------------------------------------------------------------


def guard_cell(value: Cell) -> Cell:
    """Text a spreadsheet would run as a formula gets a leading ``'``; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_rows(data: ReportData, studies: StudyReader = in_memory) -> Iterator[dict[str, Cell]]:
    """One row per claim -> study link, cells guarded against formula injection."""
    for claim in data.claims:
        for study in studies(claim):
            yield {name: guard_cell(value) for name, value in link_row(claim, study).items()}


def link_row(claim: ClaimReport, study: StudyInfo) -> dict[str, Cell]:
    """The cells of one claim -> study link, unguarded (``CSV_COLUMNS`` order)."""
    return {
        "claim_id": claim.key,
        "pmid": study.pmid,
        "title": study.title,
        "authors": "; ".join(study.authors),
        "journal": study.journal or "",
        "year": study.year,
        "doi": study.doi or "",
        "pmc": study.pmc or "",
        "publication_types": "; ".join(study.publication_types),
        "evidence_level": study.evidence_level,
        "design": study.design or "",
        "provisional": "true" if study.provisional else "false",
        "flags": "; ".join(study.flags),
        "retracted": "true" if study.retracted else "false",
        "pubmed_url": pubmed_url(study.pmid),
        "claim_conclusion": claim.summarized.conclusion_label,
        "flag_sources": "; ".join(study.badges),
    }


def write_csv(data: ReportData, path: Path, studies: StudyReader = in_memory) -> None:
    """Write ``studies.csv`` (UTF-8, header row, RFC 4180 quoting), row by row."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(csv_rows(data, studies))


# --- JSON ----------------------------------------------------------------------------------------


def json_document(data: ReportData) -> dict[str, Any]:
    """The claim -> study links with the study fields; JSON-serialisable, stable key order."""
    return {
        **json_header(data),
        "claims": [
            {
                **json_claim(claim),
                "studies": [json_study(s, data.rules_version) for s in claim.studies],
            }
            for claim in data.claims
        ],
    }


def json_header(data: ReportData) -> dict[str, Any]:
    """The document's fields before ``claims`` (its last key)."""
    refresh = data.last_refresh
    return {
        "format_version": JSON_FORMAT_VERSION,
        "tool_version": data.tool_version,
        "generated_at": data.generated_at.isoformat(),
        "article": {
            "slug": data.article.slug,
            "title": data.article.title,
            "source": data.article.source,
            "url": data.article.url,
            "reviewed_on": data.article.reviewed_on,
        },
        "last_refresh": None
        if refresh is None
        else {
            "started_at": refresh.started_at.isoformat(),
            "finished_at": refresh.finished_at.isoformat() if refresh.finished_at else None,
            "status": refresh.status,
        },
    }


def json_claim(claim: ClaimReport) -> dict[str, Any]:
    """A claim's fields before ``studies`` (its last key)."""
    return {
        "id": claim.key,
        "statement": claim.statement,
        "section": claim.section,
        "conclusion": _json_conclusion(claim),
        "study_count": claim.study_count,
        "retracted_count": claim.retracted_count,
        "queries": [_json_query(query) for query in claim.queries],
    }


def _json_query(query: QueryInfo) -> dict[str, Any]:
    run = query.latest_run
    return {
        "label": query.label,
        "term": query.term,
        "term_sent": run.term if run else None,
        "run_at": run.started_at.isoformat() if run else None,
        "status": run.status if run else None,
        "count": run.count if run else None,
        "retrieved": run.retrieved if run else None,
        "stored": run.stored if run else None,
        "query_translation": run.query_translation if run else None,
        "warnings": list(run.warnings) if run else [],
        "pmid_set_sha256": run.pmid_set_sha256 if run else None,
    }


def _json_conclusion(claim: ClaimReport) -> dict[str, Any]:
    summary = claim.summarized
    return {
        "kind": summary.conclusion,
        "label": summary.conclusion_label,
        "direction": summary.direction,
        "certainty": summary.certainty,
        "reasons": list(summary.reasons),
        "searches": summary.searches,
        "rules_version": summary.rules_version,
    }


def json_study(study: StudyInfo, rules_version: str) -> dict[str, Any]:
    """A study's fields in the JSON export."""
    return {
        "pmid": study.pmid,
        "title": study.title,
        "authors": list(study.authors),
        "journal": study.journal,
        "year": study.year,
        "doi": study.doi,
        "pmc": study.pmc,
        "publication_types": list(study.publication_types),
        "evidence_level": {
            "level": study.evidence_level,
            "design": study.design,
            "label": study.design_label,
            "provisional": study.provisional,
            "rules_version": rules_version if study.design else None,
        },
        "flags": list(study.flags),
        "flag_sources": [s.to_json() for s in study.flag_sources],
        "relevance": study.relevance,
        "key_sentence": (
            {"text": study.key_sentence, "section": study.key_section}
            if study.key_sentence
            else None
        ),
        "suggested_stance": (
            {
                "stance": study.suggested_stance,
                "sentence": study.stance_sentence,
                "cues": list(study.stance_cues),
                "method": "machine suggestion",
            }
            if study.suggested_stance
            else None
        ),
        "verdicts": [
            {
                "reviewer": v.reviewer,
                "verdict": v.verdict,
                "note": v.note,
                "at": v.created_at.isoformat(),
                "kind": v.kind,
                "reason": v.reason,
            }
            for v in study.verdicts
        ],
        "retracted": study.retracted,
        "pubmed_url": pubmed_url(study.pmid),
        "doi_url": doi_url(study.doi),
    }
