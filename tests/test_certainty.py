"""The certainty rules, one by one, on hand-built claims."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from evidence.certainty import CERTAINTY_RULES_VERSION, summarize
from evidence.domain.views import ClaimReport, StudyInfo, VerdictInfo

AT = datetime(2026, 11, 24, tzinfo=UTC)


def study(pmid: str, level: int | None, *verdicts: str, retracted: bool = False) -> StudyInfo:
    reviewers = ("ann", "bob", "cy")
    return StudyInfo(
        pmid=pmid,
        title=f"Study {pmid}",
        authors=(),
        journal=None,
        year=2020,
        doi=None,
        pmc=None,
        publication_types=(),
        retracted=retracted,
        design="x" if level is not None else None,
        design_label="X",
        evidence_level=level,
        verdicts=tuple(
            VerdictInfo(r, v, None, AT) for r, v in zip(reviewers, verdicts, strict=False)
        ),
    )


def claim(*studies: StudyInfo) -> ClaimReport:
    return ClaimReport(key="c", statement="s", section=None, queries=(), studies=studies)


@pytest.mark.parametrize(
    ("studies", "label", "reason"),
    [
        ((), "very low", "no reviewer verdicts"),
        ((study("1", 2),), "very low", "no reviewer verdicts"),
        ((study("1", 1, "supports"),), "high", "starts high: 1 meta-analysis"),
        ((study("1", 2, "supports"), study("2", 2, "supports")), "high", "2 randomized"),
        ((study("1", 2, "supports"),), "moderate", "starts moderate"),
        ((study("1", 4, "supports"),), "low", "starts low"),
        ((study("1", 5, "supports"),), "very low", "starts very low"),
        ((study("1", 8, "supports"), study("2", 8, "supports")), "very low", "only animal"),
        (
            (study("1", 2, "supports"), study("2", 2, "supports"), study("3", 2, "contradicts")),
            "moderate",
            "contradicting RCT (PMID 3)",
        ),
        ((study("1", 2, "supports", "contradicts"),), "very low", "reviewers disagree on 1"),
        ((study("1", 1, "supports", retracted=True),), "very low", "1 retracted study excluded"),
        ((study("1", 1, "not-relevant"),), "very low", "no reviewer verdicts"),
    ],
)
def test_certainty_rules(studies: tuple[StudyInfo, ...], label: str, reason: str) -> None:
    summary = summarize(claim(*studies))
    assert summary.certainty == label
    assert any(reason in r for r in summary.reasons), summary.reasons
    assert summary.rules_version == CERTAINTY_RULES_VERSION


def test_counts_and_direction() -> None:
    summary = summarize(
        claim(
            study("1", 2, "supports"),
            study("2", 4, "contradicts"),
            study("3", 8),
            study("4", None, retracted=True),
        ),
        suggestions={"3": "supports", "4": "inconclusive"},
    )
    assert summary.by_level == {"2": 1, "4": 1, "8": 1, "not graded": 1}
    assert summary.by_verdict == {"supports": 1, "contradicts": 1, "not reviewed": 2}
    assert summary.by_suggestion == {"supports": 1, "inconclusive": 1}
    assert summary.retracted == 1 and summary.direction == "mixed"
    assert summary.certainty == "low"  # starts moderate (one RCT), inconsistency: one down
    assert any("contradicting study (PMID 2)" in r for r in summary.reasons)
