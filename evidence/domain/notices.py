"""Publication-status notices and where a flag comes from: PubMed or Retraction Watch.

PubMed marks a retracted paper with a publication type or a CommentsCorrections link (see
``evidence.grading.flags``); Retraction Watch (the dataset Crossref distributes) lists
notices by the original paper's DOI and PMID, sometimes long before PubMed catches up.
A notice's nature maps to the same flags PubMed sets, so a flag is a flag whatever its
source, and every flag keeps its source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PUBMED = "PubMed"
RETRACTION_WATCH = "Retraction Watch"
RETRACTED = "retracted"
REINSTATED = "reinstated"
# The flags that say something about a study's standing, shown with their source.
STATUS_FLAGS = ("retracted", "expression-of-concern", "has-erratum", "reinstated")
NATURE_FLAGS = {
    "retraction": RETRACTED,
    "correction": "has-erratum",
    "expression of concern": "expression-of-concern",
    "reinstatement": REINSTATED,
}


@dataclass(frozen=True)
class RetractionNotice:
    """One row of the Retraction Watch dataset, as stored (DOI lower-cased, dates ISO)."""

    record_id: str
    nature: str  # Retraction | Correction | Expression of concern | Reinstatement
    original_doi: str | None
    original_pmid: str | None
    notice_date: str | None  # YYYY-MM-DD
    reasons: tuple[str, ...] = ()
    retraction_doi: str | None = None
    retraction_pmid: str | None = None


def notice_flags(notices: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The flags a study's notices give it, each with its notice (oldest first).

    ``notices``: dicts with ``nature``, ``notice_date``, ``record_id`` and ``matched_by``.
    A retraction followed by a reinstatement leaves ``reinstated`` (not ``retracted``), and
    the other way round; corrections and expressions of concern give their own flags.
    """
    ordered = sorted(notices, key=lambda n: (n.get("notice_date") or "", str(n["record_id"])))
    standing: dict[str, Any] | None = None
    found: list[dict[str, Any]] = []
    for notice in ordered:
        flag = NATURE_FLAGS.get(str(notice["nature"]).strip().casefold())
        if flag is None:
            continue
        entry = {
            "flag": flag,
            "source": RETRACTION_WATCH,
            "date": notice.get("notice_date"),
            "nature": notice["nature"],
            "record_id": str(notice["record_id"]),
            "matched_by": notice.get("matched_by"),
        }
        if flag in (RETRACTED, REINSTATED):
            standing = entry
        elif entry not in found:
            found.append(entry)
    return ([standing] if standing else []) + found


def notice_flag_names(entries: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The flag names of stored notice entries, each once."""
    return tuple(dict.fromkeys(str(e["flag"]) for e in entries))
