"""Study design, evidence level and status flags of PubMed records.

``grade(article)`` applies the versioned rule table (:data:`RULES_VERSION`) to an
article's publication types and MeSH headings, or its wording when it is not indexed yet;
``flags(article)`` tells humans/animals and retraction, erratum, concern and preprint
status (``flag_sources`` where each comes from); ``assess(article)`` gives all three at
once. The rules are documented for reviewers in ``docs/grading.md``.
"""

from evidence.grading.assessment import Assessment, assess
from evidence.grading.designs import DESIGNS, LEVELS, RULES_VERSION, Design, Grade
from evidence.grading.flags import Flag, flag_sources, flags
from evidence.grading.levels import RULES, Rule, grade

__all__ = [
    "DESIGNS",
    "LEVELS",
    "RULES",
    "RULES_VERSION",
    "Assessment",
    "Design",
    "Flag",
    "Grade",
    "Rule",
    "assess",
    "flag_sources",
    "flags",
    "grade",
]
