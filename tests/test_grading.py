"""Grading rules on small hand-built records: one case per rule, order, wording, flags."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evidence.domain.records import (
    AbstractSection,
    Article,
    CommentCorrection,
    MeshHeading,
    PublicationType,
)
from evidence.grading import DESIGNS, LEVELS, RULES, RULES_VERSION, Flag, Rule, flags, grade
from evidence.grading.levels import deciding_rule

DOCS = Path(__file__).resolve().parents[1] / "docs" / "grading.md"


def article(
    *publication_types: str,
    mesh: tuple[str, ...] = (),
    links: tuple[str, ...] = (),
    title: str = "A study.",
    abstract: str = "",
    sections: tuple[AbstractSection, ...] = (),
) -> Article:
    """A record with these publication types, MeSH descriptors and link types."""
    return Article(
        pmid="1",
        title=title,
        abstract=abstract,
        abstract_sections=sections,
        publication_types=tuple(PublicationType(name) for name in publication_types),
        mesh_headings=tuple(MeshHeading(descriptor) for descriptor in mesh),
        comments_corrections=tuple(CommentCorrection(ref, pmid="2") for ref in links),
    )


# (publication types, MeSH, links) -> design: at least one case for every rule.
RULE_CASES: list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], str]] = [
    (("Retraction of Publication",), (), (), "retraction-notice"),
    (("Journal Article",), (), ("RetractionOf",), "retraction-notice"),
    (("Published Erratum",), (), (), "erratum"),
    (("Journal Article",), (), ("ErratumFor",), "erratum"),
    (("Expression of Concern",), (), (), "expression-of-concern"),
    (("Clinical Trial Protocol",), ("Humans",), (), "protocol"),
    (("Editorial",), ("Humans",), (), "editorial"),
    (("Introductory Journal Article",), (), (), "editorial"),
    (("Comment",), ("Humans",), (), "comment"),
    (("News",), ("Humans",), (), "news"),
    (("In Vitro",), ("Humans",), (), "in-vitro"),
    (("Journal Article",), ("In Vitro Techniques", "Animals"), (), "in-vitro"),
    (("Journal Article",), ("Animals", "Rats"), (), "animal"),
    (("Meta-Analysis",), ("Humans",), (), "meta-analysis"),
    (("Systematic Review",), ("Humans",), (), "systematic-review"),
    (("Randomized Controlled Trial",), ("Humans",), (), "rct"),
    (("Controlled Clinical Trial",), ("Humans",), (), "controlled-trial"),
    (("Journal Article",), ("Humans", "Double-Blind Method"), (), "controlled-trial"),
    (("Clinical Trial, Phase I",), ("Humans",), (), "clinical-trial"),
    (("Case Reports",), ("Humans",), (), "case-report"),
    (("Practice Guideline",), ("Humans",), (), "guideline"),
    (("Letter",), ("Humans",), (), "letter"),
    (("Review",), ("Humans",), (), "narrative-review"),
    (("Journal Article",), ("Humans", "Case-Control Studies"), (), "case-control"),
    (("Journal Article",), ("Humans", "Cross-Sectional Studies"), (), "cross-sectional"),
    (("Journal Article",), ("Humans", "Retrospective Studies"), (), "cohort"),
    (("Observational Study",), ("Humans",), (), "observational"),
    (("Journal Article",), ("Humans", "Cell Line, Tumor"), (), "in-vitro"),
]


@pytest.mark.parametrize(("types", "mesh", "links", "design"), RULE_CASES)
def test_each_rule(
    types: tuple[str, ...], mesh: tuple[str, ...], links: tuple[str, ...], design: str
) -> None:
    result = grade(article(*types, mesh=mesh, links=links))
    assert result.design == design
    assert result.level == DESIGNS[design].level
    assert result.label == DESIGNS[design].label
    assert not result.provisional
    assert result.rules_version == RULES_VERSION


def test_every_rule_has_a_case() -> None:
    fired = set()
    for types, mesh, links, _ in RULE_CASES:
        decided = deciding_rule(article(*types, mesh=mesh, links=links))
        assert decided is not None
        fired.add(decided[0])
    assert [rule for rule in RULES if rule not in fired] == []


def test_grade_records_its_reason_and_version() -> None:
    result = grade(article("Journal Article", "Randomized Controlled Trial", mesh=("Humans",)))
    assert result.design == "rct"
    assert result.level == 2
    assert result.label == "Randomized controlled trial"
    assert result.reason == "publication type Randomized Controlled Trial"
    assert result.rules_version == RULES_VERSION == "2026.11-1"


@pytest.mark.parametrize(
    ("types", "mesh", "design"),
    [
        (("Meta-Analysis", "Randomized Controlled Trial"), ("Humans",), "meta-analysis"),
        (("Meta-Analysis", "Systematic Review", "Review"), ("Humans",), "meta-analysis"),
        (("Meta-Analysis",), ("Humans", "Randomized Controlled Trials as Topic"), "meta-analysis"),
        (("Randomized Controlled Trial", "Review"), ("Humans",), "rct"),
        (("Randomized Controlled Trial",), ("Humans", "Double-Blind Method"), "rct"),
        (("Clinical Trial",), ("Humans", "Cross-Over Studies"), "controlled-trial"),
        (("Case Reports", "Review"), ("Humans",), "case-report"),
        (("Case Reports", "Letter"), ("Humans",), "case-report"),
        (("Comment", "Letter"), ("Humans",), "comment"),
        (("Editorial", "Review"), ("Humans",), "editorial"),
        (("Practice Guideline", "Review"), ("Humans",), "guideline"),
        (("Review",), ("Humans", "Prospective Studies"), "narrative-review"),
        (("Observational Study",), ("Humans", "Case-Control Studies"), "case-control"),
        (
            ("Journal Article",),
            ("Humans", "Case-Control Studies", "Retrospective Studies"),
            "case-control",
        ),
        (
            ("Journal Article",),
            ("Humans", "Cross-Sectional Studies", "Prospective Studies"),
            "cross-sectional",
        ),
        (("Journal Article",), ("Humans", "Cell Line", "Cohort Studies"), "cohort"),
        (("Retraction of Publication", "Editorial"), (), "retraction-notice"),
        (("Randomized Controlled Trial", "Retracted Publication"), ("Humans",), "rct"),
    ],
)
def test_first_match_wins(types: tuple[str, ...], mesh: tuple[str, ...], design: str) -> None:
    assert grade(article(*types, mesh=mesh)).design == design


@pytest.mark.parametrize(
    "topic",
    [
        "Randomized Controlled Trials as Topic",
        "Clinical Trials as Topic",
        "Meta-Analysis as Topic",
        "Systematic Reviews as Topic",
        "Case-Control Studies as Topic",
    ],
)
def test_as_topic_headings_are_not_the_papers_design(topic: str) -> None:
    result = grade(article("Journal Article", mesh=("Humans", topic)))
    assert result.design == "other"
    assert not result.provisional
    assert result.reason.startswith("no rule matched")


def test_rule_table_refuses_as_topic_headings() -> None:
    with pytest.raises(ValueError, match="as Topic"):
        Rule("rct", mesh_any=("Randomized Controlled Trials as Topic",))
    with pytest.raises(ValueError, match="unknown design"):
        Rule("anecdote", ("Letter",))
    with pytest.raises(ValueError, match="no trigger"):
        Rule("rct")


@pytest.mark.parametrize(
    "types",
    [
        ("Comparative Study",),
        ("Randomized Controlled Trial, Veterinary",),
        ("Randomized Controlled Trial",),
        ("Meta-Analysis", "Review"),
        ("Case Reports",),
    ],
)
def test_animal_only_beats_design(types: tuple[str, ...]) -> None:
    result = grade(article(*types, mesh=("Animals", "Dogs")))
    assert result.design == "animal"
    assert result.level == 8
    assert result.reason == "MeSH Animals without Humans"


def test_animals_with_humans_is_not_animal_only() -> None:
    both = article("Comparative Study", mesh=("Animals", "Humans", "Mice"))
    assert grade(both).design == "other"
    trial = article("Randomized Controlled Trial", mesh=("Animals", "Humans"))
    assert grade(trial).design == "rct"


def test_opinion_on_animal_research_stays_opinion() -> None:
    assert grade(article("Editorial", mesh=("Animals", "Mice"))).design == "editorial"
    assert grade(article("Comment", "Letter", mesh=("Animals",))).design == "comment"


def test_names_match_case_insensitively() -> None:
    assert grade(article("randomized controlled trial", mesh=("humans",))).design == "rct"
    assert grade(article("JOURNAL ARTICLE", title="A cohort study.")).provisional


def test_notices_have_no_level() -> None:
    for types in (("Retraction of Publication",), ("Published Erratum",)):
        result = grade(article(*types))
        assert result.level is None
        assert result.is_notice
    assert not grade(article("Review", mesh=("Humans",))).is_notice


def test_indexed_record_without_design_is_unclassified_not_provisional() -> None:
    record = article(
        "Journal Article",
        "Comparative Study",
        mesh=("Humans", "Ketamine"),
        title="Ketamine: a randomized controlled trial.",
    )
    result = grade(record)
    assert (result.design, result.level, result.provisional) == ("other", 9, False)
    assert result.reason == (
        "no rule matched (publication types Comparative Study; no design MeSH heading)"
    )


def test_ladder_is_ordered_and_described() -> None:
    levels = [d.level for d in DESIGNS.values() if d.level is not None]
    assert levels == sorted(levels)
    assert set(levels) == set(LEVELS) == set(range(1, 10))
    assert all(DESIGNS[rule.design] for rule in RULES)


# --- provisional wording -------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "abstract", "design"),
    [
        ("Ketamine for depression: a randomized controlled trial.", "", "rct"),
        ("Ketamine for depression.", "Patients were randomly assigned to two arms.", "rct"),
        ("X: a randomised, double-blind, placebo-controlled trial.", "", "rct"),
        ("X: a non-randomized controlled trial.", "", "controlled-trial"),
        ("X: a double-blind, placebo-controlled study.", "", "controlled-trial"),
        ("X: a phase II trial.", "", "clinical-trial"),
        ("X and Y: a systematic review and meta-analysis.", "", "meta-analysis"),
        ("X and Y: a systematic review.", "", "systematic-review"),
        ("X and Y: a prospective cohort study.", "", "cohort"),
        ("X and Y: a case-control study.", "", "case-control"),
        ("X and Y: a cross-sectional survey.", "", "cross-sectional"),
        ("X and Y.", "This retrospective study included 40 patients.", "observational"),
        ("Hip abscess: report of 5 cases.", "", "case-series"),
        ("Air embolism: a case report.", "", "case-report"),
        ("Air embolism.", "We report a case of fatal embolism.", "case-report"),
        ("Air embolism.", "A 72-year-old woman presented with coma.", "case-report"),
        ("ACG clinical guideline: focal liver lesions.", "", "guideline"),
        ("Primary aldosteronism: state-of-the-art review.", "", "narrative-review"),
        ("Ketamine and synaptic plasticity in mice.", "", "animal"),
        ("Statins.", "We tested statins in vitro on myeloma cells.", "in-vitro"),
        ("Study protocol for a randomised controlled trial of X.", "", "protocol"),
        ("Correction to: Stroke prevention in the developing world.", "", "erratum"),
        ("Retraction.", "", "retraction-notice"),
        ("Expression of concern: X and Y.", "", "expression-of-concern"),
    ],
)
def test_provisional_wording(title: str, abstract: str, design: str) -> None:
    result = grade(article("Journal Article", title=title, abstract=abstract))
    assert result.design == design
    assert result.provisional
    assert result.level == DESIGNS[design].level
    assert result.reason.startswith("wording in ")


@pytest.mark.parametrize(
    ("title", "abstract", "not_design"),
    [
        ("Ketamine.", "Randomized controlled trials have shown benefit.", "rct"),
        ("Ketamine.", "Unlike earlier nonrandomized trials, we ...", "rct"),
        ("Correction of anemia after transplantation.", "", "erratum"),
        ("Retraction of the tongue in infants.", "", "retraction-notice"),
        ("Cleaning of instruments based on guidelines.", "", "guideline"),
    ],
)
def test_wording_that_must_not_decide(title: str, abstract: str, not_design: str) -> None:
    assert grade(article("Journal Article", title=title, abstract=abstract)).design != not_design


def test_title_wording_beats_abstract_wording() -> None:
    record = article(
        "Journal Article",
        title="Vitamin D in older adults: a randomized trial.",
        abstract="Vitamin D was protective in mice.",
    )
    assert grade(record).design == "rct"


def test_methods_section_beats_background() -> None:
    sections = (
        AbstractSection("A meta-analysis suggested benefit.", "BACKGROUND", "BACKGROUND"),
        AbstractSection("In this cross-sectional study of 900 adults ...", "METHODS", "METHODS"),
    )
    record = article(
        "Journal Article",
        title="Sleep and mood.",
        abstract=" ".join(s.text for s in sections),
        sections=sections,
    )
    result = grade(record)
    assert result.design == "cross-sectional"
    assert result.reason == 'wording in abstract methods: "cross-sectional" (not indexed yet)'


def test_no_wording_is_provisional_other() -> None:
    result = grade(article(title="Thoughts on ketamine."))
    assert (result.design, result.level, result.provisional) == ("other", 9, True)
    assert result.reason.startswith("wording: no design wording")


@pytest.mark.parametrize(
    "types",
    [
        (),
        ("Journal Article", "English Abstract"),
        ("Preprint",),
        ("Journal Article", "Retracted Publication"),
        ("Journal Article", "Research Support, Non-U.S. Gov't"),
    ],
)
def test_status_and_funding_types_leave_a_record_unindexed(types: tuple[str, ...]) -> None:
    result = grade(article(*types, title="X: a cohort study."))
    assert (result.design, result.provisional) == ("cohort", True)


# --- flags ---------------------------------------------------------------------------


def test_flags_humans_and_animals() -> None:
    assert flags(article(mesh=("Humans",))) == {Flag.HUMANS}
    assert flags(article(mesh=("Animals", "Humans"))) == {"animals", "humans"}
    assert flags(article("Journal Article")) == frozenset()


@pytest.mark.parametrize(
    ("types", "links"),
    [
        (("Journal Article", "Retracted Publication"), ()),
        (("Journal Article",), ("RetractionIn",)),
        (("Journal Article",), ("RetractedandRepublishedIn",)),
    ],
)
def test_retracted_paper(types: tuple[str, ...], links: tuple[str, ...]) -> None:
    found = flags(article(*types, links=links))
    assert "retracted" in found
    assert Flag.RETRACTION_NOTICE not in found


@pytest.mark.parametrize(
    ("types", "links"),
    [(("Retraction of Publication",), ()), (("Journal Article",), ("RetractionOf",))],
)
def test_retraction_notice_is_not_retracted(types: tuple[str, ...], links: tuple[str, ...]) -> None:
    record = article(*types, links=links)
    assert flags(record) == {Flag.RETRACTION_NOTICE}
    assert grade(record).design == "retraction-notice"


def test_erratum_and_corrected_paper() -> None:
    notice = article("Published Erratum", links=("ErratumFor",))
    assert flags(notice) == {Flag.ERRATUM}
    corrected = article("Journal Article", mesh=("Humans",), links=("ErratumIn",))
    assert flags(corrected) == {Flag.HUMANS, Flag.HAS_ERRATUM}


def test_expression_of_concern() -> None:
    paper = article("Journal Article", links=("ExpressionOfConcernIn",))
    assert flags(paper) == {Flag.EXPRESSION_OF_CONCERN}
    notice = article("Expression of Concern", links=("ExpressionOfConcernFor",))
    assert flags(notice) == {Flag.EXPRESSION_OF_CONCERN_NOTICE}
    assert grade(notice).design == "expression-of-concern"


def test_preprint_and_update() -> None:
    assert flags(article("Preprint", links=("UpdateIn",))) == {Flag.PREPRINT, Flag.HAS_UPDATE}
    assert flags(article("Journal Article", links=("CommentIn", "Cites"))) == frozenset()


# --- documentation -------------------------------------------------------------------


def test_docs_cover_the_rule_table() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert f"`{RULES_VERSION}`" in text
    missing = [key for key in DESIGNS if f"`{key}`" not in text]
    missing += [name for rule in RULES for name in rule.names if name not in text]
    missing += [flag.value for flag in Flag if f"`{flag.value}`" not in text]
    assert missing == []
    levels_documented = {int(n) for n in re.findall(r"^\| (\d) \| [^`]", text, re.MULTILINE)}
    assert levels_documented == set(LEVELS)
