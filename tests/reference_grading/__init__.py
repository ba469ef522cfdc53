"""The grading rules as they were before the indexed/anchored rewrite (issue 15).

A frozen copy of ``evidence/grading/{designs,flags,levels,terms,wording}.py`` and of
``evidence.services.records.grade_columns`` at commit 2ebcdec, kept only as the oracle of
``tests/test_grading_fast.py``: production grading must give exactly the columns this
one gives. Do not change it to follow the rules; change ``RULES_VERSION`` and the oracle
together when the rules themselves change.
"""

from __future__ import annotations

from typing import Any

from evidence.domain.records import Article
from tests.reference_grading import flags, levels


def grade_columns(article: Article) -> dict[str, Any]:
    """The study grade and flags of a record, as stored on its row."""
    study = levels.grade(article)
    return {
        "design": study.design,
        "evidence_level": study.level,
        "design_label": study.label,
        "grade_reason": study.reason,
        "grade_provisional": study.provisional,
        "flags": sorted(str(f) for f in flags.flags(article)),
        "flag_sources": flags.flag_sources(article),
        "rules_version": study.rules_version,
    }
