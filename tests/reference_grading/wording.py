"""Provisional design from title/abstract wording, for records not indexed yet.

Used only when a record has no publication type beyond the neutral ones (Journal Article,
English Abstract, funding, Preprint) and no MeSH heading. The text is searched in order:
title, then the methods/design sections of a structured abstract, then the whole abstract;
in each, the first rule of :data:`WORDING_RULES` that matches wins. Patterns describe the
paper itself where they can ("a randomized trial", singular), since background sentences
cite other designs ("randomized trials have shown"). Human designs come before animal and
in-vitro wording: "in mice" in an abstract is weaker than MeSH's Animals-without-Humans.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from evidence.domain.records import AbstractSection, Article
from tests.reference_grading.designs import DESIGNS, Grade, make_grade

_MAX_QUOTE = 80
_SEP = r"[\s,-]{1,3}"
_BLIND = r"(?:double|single|triple|observer|assessor)[- ]blind(?:ed)?"
_TRIAL_WORDS = (
    r"(?:controlled|clinical|comparative|cross-?over|pilot|parallel[- ]group|"
    r"multi-?cent(?:er|re)|open[- ]label|prospective|feasibility|"
    r"(?:placebo|sham|active)[- ]controlled|" + _BLIND + r")"
)
_ANIMALS = (
    r"(?:mice|rats|rodents|rabbits|pigs|piglets|dogs|cats|monkeys|macaques|primates|"
    r"zebrafish|sheep|horses|cattle|cows|hamsters|guinea pigs|drosophila|c\. elegans)"
)


@dataclass(frozen=True)
class WordingRule:
    """A regular expression (case-insensitive) whose match suggests ``design``."""

    design: str
    pattern: re.Pattern[str]
    title_only: bool = False

    def __post_init__(self) -> None:
        if self.design not in DESIGNS:
            raise ValueError(f"unknown design {self.design!r}")


def _rule(design: str, pattern: str, *, title_only: bool = False) -> WordingRule:
    return WordingRule(design, re.compile(pattern, re.IGNORECASE), title_only)


WORDING_RULES: tuple[WordingRule, ...] = (
    _rule(
        "retraction-notice",
        r"^\W*(?:notice of retraction|retraction(?: notice| note)?\s*(?:[:.]|$))",
        title_only=True,
    ),
    _rule(
        "erratum",
        r"^\W*(?:publisher(?:'s)? |author )?(?:correction|erratum|corrigendum)"
        r"\s*(?:to\b|[:.]|$)",
        title_only=True,
    ),
    _rule("expression-of-concern", r"^\W*(?:editorial )?expression of concern\b", title_only=True),
    _rule(
        "protocol",
        r"\bstudy protocol\b|\bprotocol (?:for|of) an? \b|\bdesign and rationale\b|"
        r"\brationale and design\b",
    ),
    _rule("meta-analysis", r"\bmeta-?analy(?:sis|tic)\b"),
    _rule("systematic-review", r"\bsystematic(?:ally)? review(?:ed)?\b"),
    _rule("controlled-trial", r"\bnon-?randomi[sz]ed" + _SEP + r"(?:controlled )?trial\b"),
    _rule(
        "rct",
        r"(?<![\w-])randomi[sz]ed(?:" + _SEP + _TRIAL_WORDS + r"){0,4}" + _SEP + r"trial\b|"
        r"\brandomly (?:assigned|allocated)\b|(?<!non-)(?<!non)\brandomi[sz]ed (?:to|into)\b",
    ),
    _rule(
        "controlled-trial",
        _BLIND + _SEP + r"(?:placebo|sham)[- ]controlled\b|"
        r"\b(?:placebo|sham)[- ]controlled (?:trial|study)\b",
    ),
    _rule(
        "clinical-trial",
        r"\bphase (?:i{1,3}|iv|[1-4])(?:/(?:i{1,3}|[1-4]))?[ab]? (?:clinical )?(?:trial|study)\b|"
        r"\bsingle[- ]arm (?:trial|study)\b|\bopen[- ]label (?:trial|study)\b",
    ),
    _rule("case-control", r"\bcase[- ]control\b"),
    _rule("cross-sectional", r"\bcross[- ]sectional\b"),
    _rule(
        "cohort",
        r"\bcohort stud(?:y|ies)\b|\blongitudinal study\b|\b(?:prospective|retrospective|"
        r"longitudinal|population[- ]based|birth|nationwide|observational) cohort\b",
    ),
    _rule(
        "observational",
        r"\bobservational (?:study|analysis)\b|\bretrospective (?:study|analysis|review)\b|"
        r"\bchart review\b|\bprospective study\b",
    ),
    _rule(
        "case-series",
        r"\bcase series\b|\b(?:report|series|review) of (?:\d+|two|three|four|five|six|seven|"
        r"eight|nine|ten) (?:\w+ )?(?:cases|patients)\b",
    ),
    _rule(
        "case-report",
        r"\bcase report\b|\ba case of\b|\bwe (?:report|describe|present) (?:a|an|the|two|three)"
        r" (?:\w+ )?(?:case|patient)s?\b|\b\d+[- ](?:year|yr)-old (?:man|woman|boy|girl|male|"
        r"female|patient)\b|\bin an? (?:[\w-]+ ){0,3}(?:patient|man|woman|boy|girl|child|infant|"
        r"neonate)(?! population)\b",
    ),
    _rule(
        "observational",
        r"\b(?:in|of) (?:[\w-]+ ){0,3}twins\b|\btwin (?:study|studies|registry|cohort)\b",
    ),
    _rule(
        "guideline",
        r"\b(?:clinical|practice) guidelines?\b|\bguidelines? (?:for|on)\b|\bguidelines?:|"
        r"\bconsensus statement\b|\bposition (?:statement|paper)\b",
        title_only=True,
    ),
    _rule("narrative-review", r"\breview\b", title_only=True),
    _rule(
        "narrative-review",
        r"\b(?:this|the present|our) (?:narrative |literature |mini-?|brief |critical |"
        r"comprehensive )?review\b|\bwe (?:review|summari[sz]e)\b",
    ),
    _rule(
        "animal",
        r"\b(?:in|of|on) (?:\w+ )?" + _ANIMALS + r"\b|"
        r"\b(?:mouse|murine|rat|rodent|animal|porcine|canine|zebrafish) models?\b|"
        r"\b(?:knockout|transgenic) (?:mice|rats)\b",
    ),
    _rule(
        "in-vitro",
        r"\bin vitro\b|\bcell lines?\b|\bcultured (?:\w+ )?cells\b|\bcell cultures?\b",
    ),
)
"""Wording rules in priority order (within one part of the text, first match wins)."""


def provisional_grade(article: Article) -> Grade:
    """A provisional grade for a record that is not indexed, from its wording."""
    for where, text in _texts(article):
        for rule in WORDING_RULES:
            if rule.title_only and where != "title":
                continue
            found = rule.pattern.search(text)
            if found:
                quote = " ".join(found.group(0).split())[:_MAX_QUOTE]
                reason = f'wording in {where}: "{quote}" (not indexed yet)'
                return make_grade(rule.design, reason, provisional=True)
    reason = "wording: no design wording in title or abstract (not indexed yet)"
    return make_grade("other", reason, provisional=True)


def _texts(article: Article) -> Iterator[tuple[str, str]]:
    """(where, text): the title, the abstract's methods/design sections, the abstract."""
    yield "title", article.title
    methods = " ".join(s.text for s in article.abstract_sections if _is_methods(s))
    if methods:
        yield "abstract methods", methods
    abstract = article.abstract or " ".join(s.text for s in article.abstract_sections)
    if abstract:
        yield "abstract", abstract


def _is_methods(section: AbstractSection) -> bool:
    """True for a structured-abstract section on methods or design."""
    if (section.nlm_category or "").upper() == "METHODS":
        return True
    label = (section.label or "").upper()
    return "METHOD" in label or "DESIGN" in label
