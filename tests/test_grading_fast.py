"""Indexed rules and anchored wording grade exactly as the grading before issue 15 did.

``tests/reference_grading`` is the grading as it was before the rewrite (every rule tried
on every record, every wording regex searched on every text); production now looks up only
the rules a record's terms name and runs a wording regex only when one of its anchors is in
the text. Both must agree on every column: the shared corpus (3,150 real records, skipped
when absent), the fixtures, and records hypothesis builds from the rules' own names and the
wording the patterns look for. The anchors themselves are checked against the patterns.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import astuple
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence import grading
from evidence.domain.records import (
    AbstractSection,
    Article,
    CommentCorrection,
    MeshHeading,
    PublicationType,
)
from evidence.grading.flags import FLAG_RULES
from evidence.grading.terms import NEUTRAL_PUBLICATION_TYPES
from evidence.grading.wording import WORDING_RULES, WordingRule, fold_text
from evidence.services.records import grade_columns
from evidence.sources.pubmed_xml.parser import parse_articles
from tests import reference_grading
from tests.reference_grading import flags as reference_flags
from tests.reference_grading import levels as reference_levels
from tests.reference_grading import wording as reference_wording
from tests.test_parser_corpus import corpus_path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pubmed"
# Characters case-insensitive matching treats specially (dotted and dotless i, long s,
# Kelvin sign, a combining dot, capital sigma) among plain ones.
_TRICKY = "aiIkKsS \u0130\u0131\u017f\u212a\u0307\u03a3"
_TRICKY_TEXT = _TRICKY + "nvtroew-:."


def assert_same_as_reference(article: Article) -> None:
    """Every column, and each public function, as the reference gives them."""
    assert grade_columns(article) == reference_grading.grade_columns(article), article.pmid
    assert astuple(grading.grade(article)) == astuple(reference_levels.grade(article))
    assert grading.flags(article) == reference_flags.flags(article)
    assert grading.flag_sources(article) == reference_flags.flag_sources(article)


@pytest.mark.shared
def test_every_corpus_record_grades_as_the_reference() -> None:
    path = corpus_path()
    if not path.is_file():
        pytest.skip(f"../shared/pubmed corpus not present: {path} (set EVIDENCE_SHARED_DIR)")
    articles = parse_articles(gzip.decompress(path.read_bytes()))
    assert len(articles) == 3150
    differ = [a.pmid for a in articles if grade_columns(a) != reference_grading.grade_columns(a)]
    assert differ == []
    provisional = [a for a in articles if grade_columns(a)["grade_provisional"]]
    assert len(provisional) > 300  # the wording path is exercised, not only the rule table


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.xml")))
def test_every_fixture_grades_as_the_reference(name: str) -> None:
    articles = parse_articles((FIXTURES / name).read_bytes())
    assert articles
    for article in articles:
        assert_same_as_reference(article)


def test_rule_tables_are_unchanged() -> None:
    """Only the lookup changed: same rules, same patterns, same version."""
    assert grading.RULES_VERSION == reference_grading.designs.RULES_VERSION
    assert [astuple(r) for r in grading.RULES] == [astuple(r) for r in reference_levels.RULES]
    assert [astuple(r) for r in FLAG_RULES] == [astuple(r) for r in reference_flags.FLAG_RULES]
    ours = [(r.design, r.pattern.pattern, r.pattern.flags, r.title_only) for r in WORDING_RULES]
    theirs = [
        (r.design, r.pattern.pattern, r.pattern.flags, r.title_only)
        for r in reference_wording.WORDING_RULES
    ]
    assert ours == theirs


# -- records built from the rules' own names and wording -----------------------------------

_TYPES = sorted(
    {n for r in grading.RULES for n in r.publication_types}
    | {n for r in FLAG_RULES for n in r.publication_types}
    | {n.title() for n in NEUTRAL_PUBLICATION_TYPES}
)
_MESH = sorted(
    {n for r in grading.RULES for n in (*r.mesh_any, *r.mesh_all, *r.mesh_none)}
    | {n for r in FLAG_RULES for n in r.mesh}
    | {"Rats", "Randomized Controlled Trials as Topic", "Adult"}
)
_REFS = sorted(
    {n for r in grading.RULES for n in r.ref_types}
    | {n for r in FLAG_RULES for n in r.ref_types}
    | {"CommentIn", "Cites"}
)
_PHRASES = (
    "Randomized controlled trial", "randomised, double-blind, placebo-controlled trial",
    "patients were randomly assigned", "non-randomized controlled trial", "meta-analysis",
    "a systematic review", "Retraction:", "Erratum", "Correction to", "Expression of concern",
    "study protocol", "design and rationale", "phase II trial", "single-arm study",
    "case-control", "cross-sectional", "a cohort study", "retrospective analysis",
    "case series", "series of 12 patients", "case report", "A case of", "we report a case",
    "a 45-year-old man", "in a young woman", "in twins", "twin registry", "guidelines for",
    "consensus statement", "review", "this narrative review", "we summarize", "in mice",
    "of aged rats", "murine model", "knockout mice", "in vitro", "cell lines",
    "cultured human cells", "\u0130n vitro", "\u017fystematic review", "RANDOMIZED TRIAL",
    "background", "results", "population", "in a", "we", "old",
)  # fmt: skip
_WORDS = st.one_of(st.sampled_from(_PHRASES), st.text(alphabet=_TRICKY_TEXT, max_size=6))


def _spelled(names: list[str]) -> st.SearchStrategy[str]:
    """One of ``names`` as PubMed might spell it: as is, upper case, or spaced out."""
    variants = (str, str.upper, lambda n: n.replace(" ", "  "))
    return st.builds(lambda name, how: how(name), st.sampled_from(names), st.sampled_from(variants))


_TEXT = st.lists(_WORDS, max_size=8).map(" ".join)
_SECTION = st.builds(
    AbstractSection,
    text=_TEXT,
    label=st.sampled_from([None, "METHODS", "Study design", "BACKGROUND", "RESULTS"]),
    nlm_category=st.sampled_from([None, "METHODS", "RESULTS"]),
)


@st.composite
def records(draw: st.DrawFn) -> Article:
    """A record mixing rule names (often none, so the wording decides) and design wording."""
    sections = tuple(draw(st.lists(_SECTION, max_size=4)))
    return Article(
        pmid=str(draw(st.integers(1, 99_999_999))),
        title=draw(_TEXT),
        abstract=draw(st.sampled_from(["", " ".join(s.text for s in sections)])),
        abstract_sections=sections,
        publication_types=tuple(
            PublicationType(n) for n in draw(st.lists(_spelled(_TYPES), max_size=3))
        ),
        mesh_headings=tuple(MeshHeading(n) for n in draw(st.lists(_spelled(_MESH), max_size=3))),
        comments_corrections=tuple(
            CommentCorrection(n, pmid=draw(st.sampled_from([None, "123"])))
            for n in draw(st.lists(_spelled(_REFS), max_size=2))
        ),
    )


@settings(max_examples=250, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_built_records_grade_as_the_reference(article: Article) -> None:
    assert_same_as_reference(article)


# -- anchors: every match of a wording rule spells one of its anchors ---------------------


def test_fold_text_turns_what_ignorecase_equates_with_ascii_into_ascii() -> None:
    """Every code point that a case-insensitive pattern takes for an ASCII character folds
    to that character, so an anchor is found wherever the pattern could match."""
    any_ascii = re.compile(r"[\x20-\x7e]", re.IGNORECASE)
    for code in range(0x110000):
        char = chr(code)
        if not any_ascii.fullmatch(char):
            continue
        for ascii_char in map(chr, range(0x20, 0x7F)):
            if re.fullmatch(re.escape(ascii_char), char, re.IGNORECASE):
                assert fold_text(char) == ascii_char.lower(), hex(code)


@given(
    st.text(alphabet=st.sampled_from(_TRICKY + "nv-"), max_size=12),
    st.text(alphabet=st.sampled_from("aiks nv-"), min_size=1, max_size=3),
)
def test_fold_text_keeps_case_insensitive_literals(text: str, literal: str) -> None:
    if re.search(re.escape(literal), text, re.IGNORECASE):
        assert literal in fold_text(text)


@pytest.mark.parametrize("rule", WORDING_RULES, ids=lambda r: f"{r.design}:{r.anchors[0]}")
@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_match_spells_an_anchor(rule: WordingRule, data: st.DataObject) -> None:
    text = data.draw(st.from_regex(rule.pattern))
    assert rule.pattern.search(text)
    assert rule.search(text, fold_text(text)) is not None


def test_a_missing_anchor_is_caught() -> None:
    """The check above can fail: a rule whose anchors miss one alternative loses matches."""
    rule = WordingRule("rct", re.compile("randomized|allocated", re.I), ("random",))
    assert rule.pattern.search("Allocated") and rule.search("Allocated", "allocated") is None
