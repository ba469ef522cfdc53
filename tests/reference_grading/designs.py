"""The study designs we grade into, their evidence levels, and the ``Grade`` record.

Every design has a stable machine key (stored with each grade), a label for people and a
level on one ladder, 1 = strongest. Notices (retraction notice, erratum, expression of
concern) are not evidence at all: their level is ``None``. See ``docs/grading.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

RULES_VERSION = "2026.11-1"
"""Version of the rule table; stored with every grade so audits know which rules graded."""


@dataclass(frozen=True)
class Design:
    """One study design: machine ``key``, human ``label`` and ``level`` (``None``: a notice)."""

    key: str
    label: str
    level: int | None


_CATALOG = (
    Design("meta-analysis", "Meta-analysis", 1),
    Design("systematic-review", "Systematic review", 1),
    Design("rct", "Randomized controlled trial", 2),
    Design("controlled-trial", "Controlled trial, not stated to be randomized", 3),
    Design("clinical-trial", "Clinical trial without a stated control group", 4),
    Design("cohort", "Cohort study", 4),
    Design("case-control", "Case-control study", 4),
    Design("cross-sectional", "Cross-sectional study", 4),
    Design("observational", "Observational study (design not specified)", 4),
    Design("case-series", "Case series", 5),
    Design("case-report", "Case report", 5),
    Design("guideline", "Guideline or consensus statement", 6),
    Design("narrative-review", "Narrative review", 6),
    Design("editorial", "Editorial", 7),
    Design("comment", "Comment", 7),
    Design("letter", "Letter", 7),
    Design("news", "News item", 7),
    Design("animal", "Animal study (preclinical)", 8),
    Design("in-vitro", "In vitro / laboratory study (preclinical)", 8),
    Design("protocol", "Study protocol (no results)", 9),
    Design("other", "Unclassified", 9),
    Design("retraction-notice", "Retraction notice", None),
    Design("erratum", "Erratum (correction notice)", None),
    Design("expression-of-concern", "Expression of concern (notice)", None),
)

DESIGNS: Mapping[str, Design] = MappingProxyType({d.key: d for d in _CATALOG})
"""Every design by key, in ladder order (strongest first, notices last)."""

LEVELS: Mapping[int, str] = MappingProxyType(
    {
        1: "Evidence synthesis: meta-analysis, systematic review",
        2: "Randomized controlled trial",
        3: "Other controlled trial",
        4: "Observational study or uncontrolled trial",
        5: "Case series or case report",
        6: "Narrative review or guideline",
        7: "Opinion: editorial, comment, letter, news",
        8: "Preclinical: animal or in vitro",
        9: "Unclassified, or no results (protocol)",
    }
)
"""What each rung of the ladder means."""


@dataclass(frozen=True)
class Grade:
    """The design and evidence level of one record, and why.

    ``level`` is 1 (strongest) to 9, or ``None`` for notices. ``provisional`` grades come
    from title/abstract wording because the record is not indexed yet; ``reason`` names the
    publication type, MeSH heading or wording that decided; ``rules_version`` the table.
    """

    design: str
    level: int | None
    label: str
    provisional: bool
    reason: str
    rules_version: str = RULES_VERSION

    @property
    def is_notice(self) -> bool:
        """True for retraction notices, errata and expressions of concern (no level)."""
        return self.level is None


def make_grade(design: str, reason: str, *, provisional: bool = False) -> Grade:
    """A ``Grade`` for the design ``design`` (a key of :data:`DESIGNS`)."""
    known = DESIGNS[design]
    return Grade(
        design=known.key,
        level=known.level,
        label=known.label,
        provisional=provisional,
        reason=reason,
    )
