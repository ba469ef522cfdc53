"""A record's grade and flags together, its indexing terms folded once for both."""

from __future__ import annotations

from dataclasses import dataclass

from evidence.domain.records import Article
from evidence.grading.designs import Grade
from evidence.grading.flags import Flag, firing, sources_of
from evidence.grading.levels import grade_terms
from evidence.grading.terms import Terms


@dataclass(frozen=True)
class Assessment:
    """What :func:`~evidence.grading.grade`, :func:`~evidence.grading.flags` and
    :func:`~evidence.grading.flag_sources` say of one record."""

    grade: Grade
    flags: frozenset[Flag]
    flag_sources: list[dict[str, str]]


def assess(article: Article) -> Assessment:
    """The grade, flags and flag sources of ``article``, as the three functions give them."""
    terms = Terms.of(article)
    rules = firing(terms)
    return Assessment(
        grade=grade_terms(article, terms),
        flags=frozenset(rule.flag for rule in rules),
        flag_sources=sources_of(article, rules),
    )
