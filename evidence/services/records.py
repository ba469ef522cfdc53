"""Storing fetched records with their grade, and re-grading stored ones when the rules change.

Grading is a service step: :mod:`evidence.grading` computes, :mod:`evidence.store` persists.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from evidence import grading
from evidence.domain.records import Article
from evidence.sources.pubmed_xml.parser import parse_stored
from evidence.store import writes

log = logging.getLogger("evidence.refresh")


def grade_columns(article: Article) -> dict[str, Any]:
    """The study grade and flags of a record, as stored on its row."""
    found = grading.assess(article)
    study = found.grade
    return {
        "design": study.design,
        "evidence_level": study.level,
        "design_label": study.label,
        "grade_reason": study.reason,
        "grade_provisional": study.provisional,
        "flags": sorted(str(f) for f in found.flags),
        "flag_sources": found.flag_sources,
        "rules_version": study.rules_version,
    }


def store_records(session: Session, articles: Sequence[Article]) -> int:
    """Grade and store ``articles`` (upserted, child rows replaced). Returns how many."""
    grades = {a.pmid: grade_columns(a) for a in articles}
    return writes.store_articles(session, articles, grades)


def regrade_stale(session: Session) -> int:
    """Grade again, from their raw XML, the records graded by other rules (or never)."""
    done = 0
    for batch in writes.stale_grades(session, grading.RULES_VERSION):
        grades = {
            pmid: grade_columns(article) for pmid, raw in batch for article in parse_stored(raw)
        }
        done += writes.update_grades(session, grades)
    if done:
        log.info("graded %d stored record(s) with rules %s", done, grading.RULES_VERSION)
    return done
