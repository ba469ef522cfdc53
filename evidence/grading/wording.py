"""Provisional design from title/abstract wording, for records not indexed yet.

Used only when a record has no publication type beyond the neutral ones (Journal Article,
English Abstract, funding, Preprint) and no MeSH heading. The text is searched in order:
title, then the methods/design sections of a structured abstract, then the whole abstract;
in each, the first rule of :data:`WORDING_RULES` that matches wins. Patterns describe the
paper itself where they can ("a randomized trial", singular), since background sentences
cite other designs ("randomized trials have shown"). Human designs come before animal and
in-vitro wording: "in mice" in an abstract is weaker than MeSH's Animals-without-Humans.

Speed (issue 15): every rule lists its *anchors*, plain lower-case words of which each of
its matches spells one. A rule's regular expression only runs on a text whose folded form
(:func:`fold_text`) holds one of them; most texts hold none of most rules' anchors, and a
substring test costs far less than a search. Grades are the same as without anchors, as
long as each anchor really is in every match (``tests/test_grading_fast.py`` checks that).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from evidence.domain.records import AbstractSection, Article
from evidence.grading.designs import DESIGNS, Grade, make_grade

_MAX_QUOTE = 80
_SEP = r"[\s,-]{1,3}"
_BLIND = r"(?:double|single|triple|observer|assessor)[- ]blind(?:ed)?"
_TRIAL_WORDS = (
    r"(?:controlled|clinical|comparative|cross-?over|pilot|parallel[- ]group|"
    r"multi-?cent(?:er|re)|open[- ]label|prospective|feasibility|"
    r"(?:placebo|sham|active)[- ]controlled|" + _BLIND + r")"
)
_ANIMAL_WORDS = (
    "mice", "rats", "rodents", "rabbits", "pigs", "piglets", "dogs", "cats", "monkeys",
    "macaques", "primates", "zebrafish", "sheep", "horses", "cattle", "cows", "hamsters",
    "guinea pigs", "drosophila", "c. elegans",
)  # fmt: skip
_ANIMALS = "(?:" + "|".join(word.replace(".", r"\.") for word in _ANIMAL_WORDS) + ")"
_MODEL_ANIMALS = ("mouse", "murine", "rat", "rodent", "animal", "porcine", "canine", "zebrafish")
_MODELS = "(?:" + "|".join(_MODEL_ANIMALS) + ")"


# Folding one for one: ``re.IGNORECASE`` equates these with an ASCII letter (as it does
# U+212A KELVIN SIGN with k, which ``str.lower`` already gives), and "İ".lower() is two
# characters, an i and a combining dot.
_FOLD_TO_ASCII = (("i\u0307", "i"), ("\u0131", "i"), ("\u017f", "s"))


def fold_text(text: str) -> str:
    """``text`` lower-cased, with every character that a case-insensitive pattern takes for an
    ASCII letter turned into that letter: a rule's match in ``text`` spells its anchors here."""
    folded = text.lower()
    if not folded.isascii():
        for special, letter in _FOLD_TO_ASCII:
            folded = folded.replace(special, letter)
    return folded


@dataclass(frozen=True)
class WordingRule:
    """A regular expression (case-insensitive) whose match suggests ``design``.

    ``anchors``: lower-case ASCII strings, one of which is in every match of ``pattern``
    (as literal text, not a character class): a text without any cannot match.
    """

    design: str
    pattern: re.Pattern[str]
    anchors: tuple[str, ...]
    title_only: bool = False

    def __post_init__(self) -> None:
        if self.design not in DESIGNS:
            raise ValueError(f"unknown design {self.design!r}")
        if not self.anchors or any(a != a.lower() or not a.isascii() for a in self.anchors):
            raise ValueError(f"rule for {self.design!r} needs lower-case ASCII anchors")

    def search(self, text: str, folded: str) -> re.Match[str] | None:
        """The pattern's first match in ``text`` (``folded``: :func:`fold_text` of it)."""
        for anchor in self.anchors:
            if anchor in folded:
                return self.pattern.search(text)
        return None


def _rule(
    design: str, pattern: str, anchors: tuple[str, ...], *, title_only: bool = False
) -> WordingRule:
    return WordingRule(design, re.compile(pattern, re.IGNORECASE), anchors, title_only)


WORDING_RULES: tuple[WordingRule, ...] = (
    _rule(
        "retraction-notice",
        r"^\W*(?:notice of retraction|retraction(?: notice| note)?\s*(?:[:.]|$))",
        ("retraction",),
        title_only=True,
    ),
    _rule(
        "erratum",
        r"^\W*(?:publisher(?:'s)? |author )?(?:correction|erratum|corrigendum)"
        r"\s*(?:to\b|[:.]|$)",
        ("correction", "erratum", "corrigendum"),
        title_only=True,
    ),
    _rule(
        "expression-of-concern",
        r"^\W*(?:editorial )?expression of concern\b",
        ("expression of concern",),
        title_only=True,
    ),
    _rule(
        "protocol",
        r"\bstudy protocol\b|\bprotocol (?:for|of) an? \b|\bdesign and rationale\b|"
        r"\brationale and design\b",
        ("protocol", "rationale"),
    ),
    _rule("meta-analysis", r"\bmeta-?analy(?:sis|tic)\b", ("meta-analy", "metaanaly")),
    _rule("systematic-review", r"\bsystematic(?:ally)? review(?:ed)?\b", ("systematic",)),
    _rule(
        "controlled-trial",
        r"\bnon-?randomi[sz]ed" + _SEP + r"(?:controlled )?trial\b",
        ("randomi",),
    ),
    _rule(
        "rct",
        r"(?<![\w-])randomi[sz]ed(?:" + _SEP + _TRIAL_WORDS + r"){0,4}" + _SEP + r"trial\b|"
        r"\brandomly (?:assigned|allocated)\b|(?<!non-)(?<!non)\brandomi[sz]ed (?:to|into)\b",
        ("random",),
    ),
    _rule(
        "controlled-trial",
        _BLIND + _SEP + r"(?:placebo|sham)[- ]controlled\b|"
        r"\b(?:placebo|sham)[- ]controlled (?:trial|study)\b",
        ("controlled",),
    ),
    _rule(
        "clinical-trial",
        r"\bphase (?:i{1,3}|iv|[1-4])(?:/(?:i{1,3}|[1-4]))?[ab]? (?:clinical )?(?:trial|study)\b|"
        r"\bsingle[- ]arm (?:trial|study)\b|\bopen[- ]label (?:trial|study)\b",
        ("phase ", "arm ", "label "),
    ),
    _rule("case-control", r"\bcase[- ]control\b", ("case-control", "case control")),
    _rule("cross-sectional", r"\bcross[- ]sectional\b", ("sectional",)),
    _rule(
        "cohort",
        r"\bcohort stud(?:y|ies)\b|\blongitudinal study\b|\b(?:prospective|retrospective|"
        r"longitudinal|population[- ]based|birth|nationwide|observational) cohort\b",
        ("cohort", "longitudinal study"),
    ),
    _rule(
        "observational",
        r"\bobservational (?:study|analysis)\b|\bretrospective (?:study|analysis|review)\b|"
        r"\bchart review\b|\bprospective study\b",
        ("observational ", "retrospective ", "chart review", "prospective study"),
    ),
    _rule(
        "case-series",
        r"\bcase series\b|\b(?:report|series|review) of (?:\d+|two|three|four|five|six|seven|"
        r"eight|nine|ten) (?:\w+ )?(?:cases|patients)\b",
        ("case series", "report of ", "series of ", "review of "),
    ),
    _rule(
        "case-report",
        r"\bcase report\b|\ba case of\b|\bwe (?:report|describe|present) (?:a|an|the|two|three)"
        r" (?:\w+ )?(?:case|patient)s?\b|\b\d+[- ](?:year|yr)-old (?:man|woman|boy|girl|male|"
        r"female|patient)\b|\bin an? (?:[\w-]+ ){0,3}(?:patient|man|woman|boy|girl|child|infant|"
        r"neonate)(?! population)\b",
        (
            "case report",
            "a case of",
            "we report",
            "we describe",
            "we present",
            "-old ",
            "in a ",
            "in an ",
        ),
    ),
    _rule(
        "observational",
        r"\b(?:in|of) (?:[\w-]+ ){0,3}twins\b|\btwin (?:study|studies|registry|cohort)\b",
        ("twin",),
    ),
    _rule(
        "guideline",
        r"\b(?:clinical|practice) guidelines?\b|\bguidelines? (?:for|on)\b|\bguidelines?:|"
        r"\bconsensus statement\b|\bposition (?:statement|paper)\b",
        ("guideline", "consensus statement", "position "),
        title_only=True,
    ),
    _rule("narrative-review", r"\breview\b", ("review",), title_only=True),
    _rule(
        "narrative-review",
        r"\b(?:this|the present|our) (?:narrative |literature |mini-?|brief |critical |"
        r"comprehensive )?review\b|\bwe (?:review|summari[sz]e)\b",
        ("review", "summari"),
    ),
    _rule(
        "animal",
        r"\b(?:in|of|on) (?:\w+ )?" + _ANIMALS + r"\b|"
        r"\b" + _MODELS + r" models?\b|"
        r"\b(?:knockout|transgenic) (?:mice|rats)\b",
        (*_ANIMAL_WORDS, *(f"{animal} model" for animal in _MODEL_ANIMALS)),
    ),
    _rule(
        "in-vitro",
        r"\bin vitro\b|\bcell lines?\b|\bcultured (?:\w+ )?cells\b|\bcell cultures?\b",
        ("in vitro", "cell line", "cultured ", "cell culture"),
    ),
)
"""Wording rules in priority order (within one part of the text, first match wins)."""


_BODY_RULES = tuple(rule for rule in WORDING_RULES if not rule.title_only)


def provisional_grade(article: Article) -> Grade:
    """A provisional grade for a record that is not indexed, from its wording."""
    for where, text in _texts(article):
        found = _first_match(text, WORDING_RULES if where == "title" else _BODY_RULES)
        if found is not None:
            design, match = found
            quote = " ".join(match.group(0).split())[:_MAX_QUOTE]
            reason = f'wording in {where}: "{quote}" (not indexed yet)'
            return make_grade(design, reason, provisional=True)
    reason = "wording: no design wording in title or abstract (not indexed yet)"
    return make_grade("other", reason, provisional=True)


def _first_match(text: str, rules: tuple[WordingRule, ...]) -> tuple[str, re.Match[str]] | None:
    """The design of the first of ``rules`` matching ``text``, and its match."""
    folded = fold_text(text)
    for rule in rules:
        found = rule.search(text, folded)
        if found:
            return rule.design, found
    return None


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
